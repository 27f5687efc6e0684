/** Google Front End and health-check ranges: where a GCP external Application Load Balancer's backend traffic comes from. */
export const GOOGLE_FRONT_END_RANGES = ["35.191.0.0/16", "130.211.0.0/22"];
