/** SPEC §5.5: the dates John Lewis holds the seller to. */

/** Minutes an order may wait for its acknowledgement before `status` asks for a person (`ack_alert_minutes`). */
export const DEFAULT_ACK_ALERT_MINUTES = 60;
