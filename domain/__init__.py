"""The registry's domain: pure business rules and models, no Kafka, HTTP or SOAP."""
