"""The hub's Prometheus metrics (names documented in monitoring/metrics.md) and the /metrics endpoint of workers."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

from hub import __version__

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0, 300.0)

events_consumed = Counter(
    "hub_events_consumed", "Events taken off Kafka by a consumer group, by outcome", ["topic", "group", "outcome"]
)
events_published = Counter("hub_events_published", "Events acknowledged by Kafka", ["topic", "source"])
events_failed = Counter(
    "hub_events_failed", "Failed attempts to apply an event, by error type", ["topic", "group", "error_type"]
)
event_processing = Histogram(
    "hub_event_processing_seconds",
    "Time to apply one event in its transaction",
    ["topic", "group"],
    buckets=LATENCY_BUCKETS,
)
retries = Counter("hub_retries", "Retries of events after a transient failure", ["topic", "group"])
dead_letters = Counter("hub_dead_letters", "Events sent to a dead-letter topic", ["topic", "group"])
parked_events = Gauge("hub_parked_events", "Events parked per consumer group and status", ["group", "status"])
outbox_backlog = Gauge("hub_outbox_backlog", "Outbox rows not yet acknowledged by Kafka")
outbox_oldest_age = Gauge("hub_outbox_oldest_age_seconds", "Age of the oldest unsent outbox row")
end_to_end_latency = Histogram(
    "hub_end_to_end_latency_seconds",
    "Time from the original fact to its effect being applied or pushed",
    ["flow"],
    buckets=LATENCY_BUCKETS,
)
consumer_lag_messages = Gauge(
    "hub_consumer_lag_messages", "Messages not yet committed by a group", ["group", "topic", "partition"]
)
consumer_lag_seconds = Gauge(
    "hub_consumer_lag_seconds", "Age of the oldest uncommitted message of a group", ["group", "topic", "partition"]
)
rule_suspensions = Counter("hub_rule_suspensions", "Retirees suspended by the nightly rules of 4.5", ["rule"])
suspension_batches_held = Gauge(
    "hub_suspension_batches_held", "Batches of suspensions held by the brake (4.5), waiting for a city-level decision"
)
suspensions_held = Counter(
    "hub_suspensions_held", "Retirees the nightly rules would have suspended but the brake held (4.5)", ["rule"]
)
webhook_pushes = Counter(
    "hub_webhook_pushes",
    "Pushes received by a webhook, by outcome (accepted or the refusal code)",
    ["webhook", "outcome"],
)
certification_reminders = Counter(
    "hub_certification_reminders", "Certification reminders sent to retirees (4.5), one per retiree and due date"
)
certifications_due = Gauge(
    "hub_certifications_due_30d",
    "Registered retirees whose certification falls due in the next 30 days, per street (refreshed nightly)",
    ["street_code", "street"],
)
face_shares = Counter(
    "hub_auth_platform_shares", "Retirees' face-model shares with the authentication platform, by outcome", ["outcome"]
)
channel_pushes = Counter(
    "hub_channel_pushes",
    "Notifications pushed to the channel apps' webhooks (issue 20), by outcome: delivered, unavailable, refused, "
    "skipped (app disabled or without a webhook), held (quiet hours)",
    ["outcome"],
)
channel_push_latency = Histogram(
    "hub_channel_push_seconds",
    "From a notification written to its push delivered to the app (issue 20; includes any hold or outage)",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 36000),
)
circuit_state = Gauge(
    "hub_circuit_breaker_state",
    "State of a platform's circuit breaker: 0 closed, 1 open (its outbound consumer paused), 2 half-open",
    ["breaker"],
)
circuit_opened = Counter("hub_circuit_breaker_opened", "Times a platform's circuit breaker opened", ["breaker"])
provincial_exchange = Histogram(
    "hub_provincial_exchange_seconds",
    "The 5-second target: from reading a change at the provincial platform to its effect in the registry "
    "(leg read_to_applied) or to the platform acknowledging the resulting push (read_to_acknowledged); pushes of "
    "changes made here are timed from the status-change log entry (entered_to_acknowledged)",
    ["flow", "leg"],
    buckets=LATENCY_BUCKETS,
)
external_calls = Histogram(
    "hub_external_call_seconds",
    "Calls to an external platform (retries included), by operation and outcome",
    ["platform", "operation", "outcome"],
    buckets=LATENCY_BUCKETS,
)
provincial_pushes = Counter(
    "hub_provincial_pushes",
    "Business records pushed to the provincial platform, by type and outcome",
    ["type", "outcome"],
)
provincial_records_read = Counter(
    "hub_provincial_records_read",
    "Change records read from the provincial platform, by feed and outcome",
    ["feed", "outcome"],
)
provincial_reconciliation_differences = Gauge(
    "hub_provincial_reconciliation_differences",
    "Differences found by the last whole-range reconciliation with the provincial platform, by cause",
    ["cause"],
)
provincial_reconciliation_last_run = Gauge(
    "hub_provincial_reconciliation_last_run_timestamp_seconds",
    "When the scheduled whole-range reconciliation with the provincial platform last finished (Unix time)",
)
loop_failures = Counter(
    "hub_loop_failures",
    "Failures a long-running loop backed off from and tried again (database or broker unreachable), by loop and error",
    ["loop", "error_type"],
)
build_info = Gauge("hub_build_info", "The running hub's version", ["version"])
build_info.labels(version=__version__).set(1)


def serve_metrics(port: int, host: str = "0.0.0.0") -> None:
    """Expose /metrics for a process without its own HTTP server (relay, worker, monitor)."""
    start_http_server(port, addr=host)
