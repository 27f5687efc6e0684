import { defineWorld } from "./components/world";

export = defineWorld();
