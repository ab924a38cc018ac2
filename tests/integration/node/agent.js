// A Node.js agent with NO vibes code: @opentelemetry/sdk-node + the official
// @opentelemetry/instrumentation-openai (patches openai@6 loaded through `require`),
// exporting OTLP/HTTP (protobuf) to the collector named by the standard OTEL_* variables.
//   node agent.js BASE_URL MODEL[:stream] ...
'use strict';
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { OpenAIInstrumentation } = require('@opentelemetry/instrumentation-openai');

const sdk = new NodeSDK({ instrumentations: [new OpenAIInstrumentation()] });
sdk.start();
const { OpenAI } = require('openai'); // after start(): the instrumentation patches require

async function main() {
  const [baseURL, ...calls] = process.argv.slice(2);
  const client = new OpenAI({ baseURL, apiKey: 'test-key', maxRetries: 0 });
  const replies = [];
  for (const call of calls) {
    const [model, mode] = call.split(':');
    const messages = [{ role: 'user', content: 'hi' }];
    if (mode === 'stream') {
      const stream = await client.chat.completions.create({
        model, messages, stream: true, stream_options: { include_usage: true } });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      replies.push(text);
    } else {
      const r = await client.chat.completions.create({ model, messages });
      replies.push(r.choices[0].message.content);
    }
  }
  await sdk.shutdown(); // flushes spans and metrics
  console.log(JSON.stringify(replies));
}

main().catch((err) => { console.error(err); process.exit(1); });
