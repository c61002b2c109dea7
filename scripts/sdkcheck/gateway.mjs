// Drives `sluice gateway` (in front of the mock) with the official OpenAI and Anthropic SDKs:
// streams pass through event by event, and the SDKs' own retries on the gateway's 503 succeed.
// Usage: node gateway.mjs http://127.0.0.1:GATEWAY_PORT
//   (the gateway started with --max-concurrent 2 --queue-size 0: the third caller at once is
//    answered 503 with retry-after, and comes back by itself)
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';

const base = process.argv[2];
let failures = 0;
function check(what, ok, detail = '') {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? ': ' + detail : ''}`);
    if (!ok) failures++;
}

const openai = new OpenAI({ apiKey: 'sk-test-gateway-0000', baseURL: base + '/v1', maxRetries: 6 });
const stream = await openai.chat.completions.create({
    model: 'mock-gpt', stream: true, stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'hi' }] });
let chunks = 0, finish = null, usage = null;
const arrivals = [];
for await (const chunk of stream) {
    if (chunk.choices[0]?.delta?.content) { chunks++; arrivals.push(Date.now()); }
    if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
    if (chunk.usage) usage = chunk.usage;
}
check('openai stream through the gateway', finish === 'stop' && usage?.completion_tokens === chunks &&
      arrivals.length >= 2 && arrivals.at(-1) - arrivals[0] > 0,
      `${chunks} chunks over ${arrivals.at(-1) - arrivals[0]} ms`);

// Eight at once against 2 slots and no queue: six are told 503 + retry-after; the SDK retries.
const started = Date.now();
const results = await Promise.allSettled(Array.from({ length: 8 }, () =>
    openai.chat.completions.create({ model: 'mock-gpt', messages: [{ role: 'user', content: 'x' }] })));
const ok = results.filter(r => r.status === 'fulfilled').length;
check('openai retries on the gateway\'s 503 succeed', ok === 8,
      `${ok} of 8 in ${Date.now() - started} ms; ${results.filter(r => r.status === 'rejected')
          .map(r => r.reason?.status).join(',')}`);

const raw = await openai.chat.completions.create({
    model: 'mock-gpt', messages: [{ role: 'user', content: 'x' }] }).withResponse();
check('x-sluice-request-id on answers', Number(raw.response.headers.get('x-sluice-request-id')) > 0);

const anthropic = new Anthropic({ apiKey: 'sk-ant-test-gateway-0000', baseURL: base, maxRetries: 6 });
const events = anthropic.messages.stream({
    model: 'mock-claude', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
let deltas = 0;
events.on('text', () => deltas++);
const final = await events.finalMessage();
check('anthropic stream through the gateway', final.usage.output_tokens === 5 && deltas === 5,
      `${deltas} deltas, stop ${final.stop_reason}`);

console.log(failures === 0 ? 'all gateway SDK checks passed' : `${failures} gateway SDK checks failed`);
process.exit(failures === 0 ? 0 : 1);
