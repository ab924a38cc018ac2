"""An agent with NO vibes_sdk: plain OpenTelemetry SDK + the official
opentelemetry-instrumentation-openai-v2 (or OpenLLMetry's opentelemetry-instrumentation-openai,
the one traceloop-sdk installs) + the real openai client, exporting OTLP/HTTP.

    python otel_openai_app.py --endpoint URL --service NAME --base-url URL CALL...

CALL is ``model`` (a chat completion) or ``model:stream`` (streamed, usage in the last chunk).
Prints one JSON line: the replies' texts.
"""

from __future__ import annotations

import argparse
import json

from openai import OpenAI
from opentelemetry import metrics, trace
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--service", required=True)
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--no-traces", action="store_true", help="export metrics only (no spans)")
    ap.add_argument("--instrumentation", choices=("openai-v2", "openllmetry"), default="openai-v2",
                    help="the official one, or OpenLLMetry's (what traceloop-sdk installs)")
    ap.add_argument("calls", nargs="+")
    args = ap.parse_args()
    resource = Resource.create({"service.name": args.service})
    tracer_provider = TracerProvider(resource=resource)
    if not args.no_traces:
        tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(f"{args.endpoint}/v1/traces")))
    reader = PeriodicExportingMetricReader(OTLPMetricExporter(f"{args.endpoint}/v1/metrics"),
                                           export_interval_millis=1000)
    meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(meter_provider)
    if args.instrumentation == "openai-v2":
        OpenAIInstrumentor().instrument()
    else:
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor as OpenLLMetryInstrumentor
        OpenLLMetryInstrumentor().instrument()
    client = OpenAI(base_url=args.base_url, api_key="test-key", max_retries=0)
    replies = []
    for call in args.calls:
        model, _, mode = call.partition(":")
        messages = [{"role": "user", "content": "hi"}]
        if mode == "stream":
            stream = client.chat.completions.create(model=model, messages=messages, stream=True,
                                                    stream_options={"include_usage": True})
            replies.append("".join(c.choices[0].delta.content or "" for c in stream if c.choices))
        else:
            replies.append(client.chat.completions.create(model=model, messages=messages).choices[0].message.content)
    tracer_provider.shutdown()
    meter_provider.shutdown()
    print(json.dumps(replies))


if __name__ == "__main__":
    main()
