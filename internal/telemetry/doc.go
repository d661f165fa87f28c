// Package telemetry receives the traces a service's instances send over OTLP/HTTP
// and keeps them, so a failure can be looked up by version.
//
// Every instance Slipway starts is told who it is and where to send its traces
// (see [InstanceEnv]): OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES with
// service.version and deployment.environment.name, and OTEL_EXPORTER_OTLP_ENDPOINT.
// On the embedded default the endpoint is the control plane's own API listener,
// where a [Receiver] decodes POST /v1/traces (protobuf or JSON, as the OTLP
// specification defines them) into a [Store]: one SQLite file, indexed by service,
// environment, version, route, status and time, bounded by age and by span count.
// A [LogReceiver] keeps the log records they export to POST /v1/logs in the same
// Store, for [Store.Logs] to list by version.
// At scale the same variables point at an OpenTelemetry Collector instead, and
// Slipway keeps nothing.
//
// Queries answer the questions an incident asks: which requests of a version
// failed ([Store.Requests]), what one of them did ([Store.Trace], [Tree]), which
// route fails on which version ([Store.Routes]), and how feature-flag variants
// correlate with the errors ([Store.Flags]). [Store.Investigate] puts them
// together as an incident's evidence.
package telemetry
