<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>Demo</name>
    <message>
        <source>429 storm: limiter off, then on</source>
        <translation>429 风暴：先关闭限流器，再打开</translation>
    </message>
    <message>
        <source>Limiter off: 15 req/s against a server that allows 300 requests per minute. Once its minute&apos;s budget is spent (about 20 s in), two requests in three come back 429 (orange).</source>
        <translation>限流器关闭：以每秒 15 个请求压向每分钟只允许 300 个请求的服务器。一分钟的额度用完后（约第 20 秒），每三个请求就有两个返回 429（橙色）。</translation>
    </message>
    <message>
        <source>Limiter on at 285 rpm (95% of the server&apos;s): 429s stop. The excess now waits in our queue (purple) instead of hitting the server, and what the queue cannot hold in time is shed as rejected or timed out.</source>
        <translation>限流器以每分钟 285 个请求（服务器上限的 95%）打开：429 消失。多出的请求改在我们的队列中等待（紫色），不再打到服务器；队列来不及容纳的请求被拒绝或超时丢弃。</translation>
    </message>
    <message>
        <source>limiter on: 285 rpm</source>
        <translation>限流器打开：285 rpm</translation>
    </message>
    <message>
        <source>Adaptive concurrency finds the server&apos;s capacity</source>
        <translation>自适应并发找到服务器的容量</translation>
    </message>
    <message>
        <source>64 callers, a server with 16 slots. The adaptive limit (grey) starts at 4 and settles near 16, where latency starts to rise.</source>
        <translation>64 个调用方，服务器只有 16 个槽位。自适应上限（灰色）从 4 开始，稳定在 16 附近——延迟开始上升的地方。</translation>
    </message>
    <message>
        <source>The server&apos;s capacity is halved to 8 slots: latency jumps, and the limit follows it down.</source>
        <translation>服务器容量减半为 8 个槽位：延迟跳升，上限随之下降。</translation>
    </message>
    <message>
        <source>server capacity halved (8)</source>
        <translation>服务器容量减半（8）</translation>
    </message>
    <message>
        <source>Capacity is back to 16: the limit climbs again until latency says stop.</source>
        <translation>容量恢复到 16：上限再次爬升，直到延迟表明该停下。</translation>
    </message>
    <message>
        <source>server capacity back (16)</source>
        <translation>服务器容量恢复（16）</translation>
    </message>
    <message>
        <source>Priority lanes under 3x overload</source>
        <translation>3 倍过载下的优先级通道</translation>
    </message>
    <message>
        <source>Load drops under capacity: the queue drains, every lane is served.</source>
        <translation>负载降到容量以下：队列排空，每条通道都得到处理。</translation>
    </message>
    <message>
        <source>load back to 30 req/s</source>
        <translation>负载回到每秒 30 个请求</translation>
    </message>
    <message>
        <source>Circuit breaker during an outage</source>
        <translation>故障期间的熔断器</translation>
    </message>
    <message>
        <source>10 req/s to a healthy server. At 20 s it fails every request with 503.</source>
        <translation>以每秒 10 个请求访问健康的服务器。第 20 秒起它对每个请求都返回 503。</translation>
    </message>
    <message>
        <source>Outage: after 10 failed calls the breaker opens and fails requests at once (red) instead of sending them; every 5 s it lets 3 probes through.</source>
        <translation>故障：10 次调用失败后熔断器打开，请求不再发送而是立即失败（红色）；每 5 秒放行 3 个探测请求。</translation>
    </message>
    <message>
        <source>outage: 100% 503</source>
        <translation>故障：100% 503</translation>
    </message>
    <message>
        <source>The server is back: the next probes succeed, the breaker closes and traffic flows again.</source>
        <translation>服务器恢复：接下来的探测请求成功，熔断器关闭，流量重新通行。</translation>
    </message>
    <message>
        <source>outage over</source>
        <translation>故障结束</translation>
    </message>
    <message>
        <source>120 req/s offered to a server that does 40: 10% high, 80% normal, 10% low priority. On &apos;Total p95 by priority&apos;, high (red) is served in about one service time while normal (blue) waits up to its 10 s timeout; low (grey) rarely gets a slot before timing out, and the full queue sheds the rest.</source>
        <translation>以每秒 120 个请求压向只能处理 40 个的服务器：10% 高优先级、80% 普通、10% 低优先级。在“各优先级总耗时 p95”图上，高优先级（红色）大约一个服务时间就得到处理，普通（蓝色）要等到 10 秒超时；低优先级（灰色）很少能在超时前拿到槽位，其余请求被满队列丢弃。</translation>
    </message>
</context>
<context>
    <name>FailureReason</name>
    <message>
        <source>ok</source>
        <translation>成功</translation>
    </message>
    <message>
        <source>connection refused</source>
        <translation>连接被拒绝</translation>
    </message>
    <message>
        <source>DNS lookup failed</source>
        <translation>DNS 解析失败</translation>
    </message>
    <message>
        <source>TLS handshake failed</source>
        <translation>TLS 握手失败</translation>
    </message>
    <message>
        <source>protocol error</source>
        <translation>协议错误</translation>
    </message>
    <message>
        <source>timeout before headers</source>
        <translation>响应头前超时</translation>
    </message>
    <message>
        <source>timeout mid-stream</source>
        <translation>流传输中超时</translation>
    </message>
    <message>
        <source>connection reset</source>
        <translation>连接被重置</translation>
    </message>
    <message>
        <source>stream ended early</source>
        <translation>流提前结束</translation>
    </message>
    <message>
        <source>HTTP %1</source>
        <translation>HTTP %1</translation>
    </message>
    <message>
        <source>error event in stream</source>
        <translation>流中的错误事件</translation>
    </message>
    <message>
        <source>malformed response</source>
        <translation>响应格式错误</translation>
    </message>
    <message>
        <source>circuit open</source>
        <translation>熔断打开</translation>
    </message>
    <message>
        <source>queue full</source>
        <translation>队列已满</translation>
    </message>
    <message>
        <source>larger than a token limit</source>
        <translation>超出 token 上限</translation>
    </message>
    <message>
        <source>deadline passed while queued</source>
        <translation>排队期间已过截止时间</translation>
    </message>
    <message>
        <source>network error</source>
        <translation>网络错误</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
</context>
<context>
    <name>sluice::AlertsLog</name>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Run (s)</source>
        <translation>已运行（秒）</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Severity</source>
        <translation>级别</translation>
    </message>
    <message>
        <source>What</source>
        <translation>内容</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>值</translation>
    </message>
    <message>
        <source>Alert rules raise when their value stays past the threshold for 5 s and clear when it is back; changes made during a run are listed too.</source>
        <translation>告警规则在指标持续超过阈值 5 秒时触发，恢复后解除；运行期间所做的更改也会列在这里。</translation>
    </message>
    <message>
        <source>alert raised</source>
        <translation>告警触发</translation>
    </message>
    <message>
        <source>alert cleared</source>
        <translation>告警解除</translation>
    </message>
    <message>
        <source>critical</source>
        <translation>严重</translation>
    </message>
    <message>
        <source>warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <source>closed</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>half-open</source>
        <translation>半开</translation>
    </message>
    <message>
        <source>in flight above 80% of the concurrency limit</source>
        <translation>在途请求超过并发上限的 80%</translation>
    </message>
    <message>
        <source>in flight above 95% of the concurrency limit</source>
        <translation>在途请求超过并发上限的 95%</translation>
    </message>
    <message>
        <source>more than 50 requests queued</source>
        <translation>排队请求超过 50 个</translation>
    </message>
    <message>
        <source>more than 5% of requests rejected</source>
        <translation>超过 5% 的请求被拒绝</translation>
    </message>
    <message>
        <source>more than 5% of requests failed</source>
        <translation>超过 5% 的请求失败</translation>
    </message>
    <message>
        <source>more than 5% of attempts answered 429</source>
        <translation>超过 5% 的尝试返回 429</translation>
    </message>
    <message>
        <source>circuit breaker open: requests fail at once</source>
        <translation>熔断器打开：请求立即失败</translation>
    </message>
    <message>
        <source>start</source>
        <translation>开始</translation>
    </message>
    <message>
        <source>end</source>
        <translation>结束</translation>
    </message>
    <message>
        <source>rate</source>
        <translation>速率</translation>
    </message>
    <message>
        <source>concurrency</source>
        <translation>并发</translation>
    </message>
    <message>
        <source>limits</source>
        <translation>限制</translation>
    </message>
    <message>
        <source>mock</source>
        <translation>模拟服务器</translation>
    </message>
    <message>
        <source>pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>warm-up</source>
        <translation>预热</translation>
    </message>
    <message>
        <source>breaker</source>
        <translation>熔断器</translation>
    </message>
    <message>
        <source>spike</source>
        <translation>突增</translation>
    </message>
    <message>
        <source>stress</source>
        <translation>压力</translation>
    </message>
    <message>
        <source>alert</source>
        <translation>告警</translation>
    </message>
    <message>
        <source>circuit %1 → %2</source>
        <translation>熔断器 %1 → %2</translation>
    </message>
    <message>
        <source>warm-up over: measuring</source>
        <translation>预热结束：开始测量</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
</context>
<context>
    <name>sluice::BenchPanel</name>
    <message>
        <source>Target</source>
        <translation>目标</translation>
    </message>
    <message>
        <source>Where requests go. The built-in mock works offline; the others are provider endpoints with the environment variable that holds the key.</source>
        <translation>请求发往何处。内置模拟服务器可离线使用；其余为各服务商的端点，并附带保存密钥的环境变量。</translation>
    </message>
    <message>
        <source>Save…</source>
        <translation>保存…</translation>
    </message>
    <message>
        <source>Save this URL, format, key variable and model as your own preset (the key itself is never saved).</source>
        <translation>将此 URL、格式、密钥变量和模型保存为自定义预设（密钥本身不会被保存）。</translation>
    </message>
    <message>
        <source>Preset</source>
        <translation>预设</translation>
    </message>
    <message>
        <source>Base URL (…/v1 for OpenAI-compatible servers) or a full chat endpoint.</source>
        <translation>基础 URL（OpenAI 兼容服务器为 …/v1）或完整的 chat 端点。</translation>
    </message>
    <message>
        <source>URL</source>
        <translation>URL</translation>
    </message>
    <message>
        <source>The API the target speaks: OpenAI chat completions or Anthropic messages (request body, headers and stream events).</source>
        <translation>目标使用的 API：OpenAI chat completions 或 Anthropic messages（决定请求体、请求头和流式事件）。</translation>
    </message>
    <message>
        <source>Format</source>
        <translation>格式</translation>
    </message>
    <message>
        <source>Environment variable holding the API key. Used when no key is typed below.</source>
        <translation>保存 API 密钥的环境变量。下方未填写密钥时使用。</translation>
    </message>
    <message>
        <source>Key variable</source>
        <translation>密钥变量</translation>
    </message>
    <message>
        <source>or paste a key (kept in memory only)</source>
        <translation>或粘贴密钥（仅保存在内存中）</translation>
    </message>
    <message>
        <source>An API key for this session only: never saved, logged or exported; shown masked as sk-...abcd.</source>
        <translation>仅用于本次会话的 API 密钥：不会被保存、记录日志或导出；以 sk-...abcd 形式掩码显示。</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>密钥</translation>
    </message>
    <message>
        <source>The model name sent with every request.</source>
        <translation>每个请求附带的模型名称。</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Load</source>
        <translation>负载</translation>
    </message>
    <message>
        <source>Poisson arrivals (open loop)</source>
        <translation>泊松到达（开环）</translation>
    </message>
    <message>
        <source>Constant rate (open loop)</source>
        <translation>恒定速率（开环）</translation>
    </message>
    <message>
        <source>Fixed concurrency (closed loop)</source>
        <translation>固定并发（闭环）</translation>
    </message>
    <message>
        <source>Open loop sends at a rate whatever the answers do (like real users; latency counts from the intended send time). Closed loop keeps N requests out, each sending the next when it ends.</source>
        <translation>开环：无论响应如何都按设定速率发送（与真实用户相同；延迟从计划发送时间起算）。闭环：始终保持 N 个请求在途，每个请求结束后发送下一个。</translation>
    </message>
    <message>
        <source>Profile</source>
        <translation>模式</translation>
    </message>
    <message>
        <source>Rate (req/s)</source>
        <translation>速率（请求/秒）</translation>
    </message>
    <message>
        <source>Offered load: requests per second (open loop) or requests kept in flight (closed loop). Changes apply to a running test at once and show as a marker.</source>
        <translation>施加的负载：每秒请求数（开环）或保持在途的请求数（闭环）。修改会立即作用于正在运行的测试，并在图表上显示标记。</translation>
    </message>
    <message>
        <source> s</source>
        <translation> 秒</translation>
    </message>
    <message>
        <source>until stopped</source>
        <translation>直到停止</translation>
    </message>
    <message>
        <source>How long load is offered. With a request count too, the run ends at whichever comes first.</source>
        <translation>施加负载的时长。若同时设置了请求数，以先达到者为准结束运行。</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>时长</translation>
    </message>
    <message>
        <source>no limit</source>
        <translation>不限</translation>
    </message>
    <message>
        <source>Stop after sending this many requests (0 = no limit).</source>
        <translation>发送这么多请求后停止（0 = 不限）。</translation>
    </message>
    <message>
        <source>Requests</source>
        <translation>请求数</translation>
    </message>
    <message>
        <source>max_tokens of each request: caps the answer, and is what a token limit reserves until the usage comes back.</source>
        <translation>每个请求的 max_tokens：限制回答长度，也是 token 限流在用量返回前预留的数量。</translation>
    </message>
    <message>
        <source>max_tokens</source>
        <translation>max_tokens</translation>
    </message>
    <message>
        <source>Length of the generated prompts, in tokens.</source>
        <translation>生成的提示词长度（token 数）。</translation>
    </message>
    <message>
        <source>Prompt tokens</source>
        <translation>提示词 token</translation>
    </message>
    <message>
        <source>Stream (SSE)</source>
        <translation>流式（SSE）</translation>
    </message>
    <message>
        <source>Streamed answers measure time to first token and inter-token latency; without streaming only the whole answer is timed.</source>
        <translation>流式响应可测量首 token 延迟和 token 间延迟；非流式时只统计整个响应的耗时。</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>运行</translation>
    </message>
    <message>
        <source>idle</source>
        <translation>空闲</translation>
    </message>
    <message>
        <source> (yours)</source>
        <translation>（自定义）</translation>
    </message>
    <message>
        <source>the built-in mock (started with the console)</source>
        <translation>内置模拟服务器（随控制台启动）</translation>
    </message>
    <message>
        <source>The mock needs no key.</source>
        <translation>模拟服务器无需密钥。</translation>
    </message>
    <message>
        <source>No key: requests go without one.</source>
        <translation>无密钥：请求将不带密钥发送。</translation>
    </message>
    <message>
        <source>$%1 is not set: requests go without a key.</source>
        <translation>$%1 未设置：请求将不带密钥发送。</translation>
    </message>
    <message>
        <source>Key %1 from $%2</source>
        <translation>密钥 %1（来自 $%2）</translation>
    </message>
    <message>
        <source>Key %1 (typed)</source>
        <translation>密钥 %1（手动输入）</translation>
    </message>
    <message>
        <source>Save preset</source>
        <translation>保存预设</translation>
    </message>
    <message>
        <source>Preset name:</source>
        <translation>预设名称：</translation>
    </message>
    <message>
        <source>Concurrency</source>
        <translation>并发</translation>
    </message>
    <message>
        <source> /s</source>
        <translation> /秒</translation>
    </message>
    <message>
        <source>built-in mock</source>
        <translation>内置模拟服务器</translation>
    </message>
    <message>
        <source>%1 (key %2)</source>
        <translation>%1（密钥 %2）</translation>
    </message>
    <message>
        <source>starting</source>
        <translation>正在启动</translation>
    </message>
    <message>
        <source>finished</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>Paused: no new requests are sent.</source>
        <translation>已暂停：不再发送新请求。</translation>
    </message>
    <message>
        <source>%1 · %2 s</source>
        <translation>%1 · %2 秒</translation>
    </message>
    <message>
        <source>%1 sent, %2 ok, %3 errors, %4 late starts</source>
        <translation>已发送 %1，成功 %2，错误 %3，延后发送 %4</translation>
    </message>
    <message>
        <source>Built-in mock</source>
        <translation>内置模拟服务器</translation>
    </message>
    <message>
        <source>running</source>
        <translation>运行中</translation>
    </message>
    <message>
        <source>warm-up</source>
        <translation>预热</translation>
    </message>
    <message>
        <source>draining</source>
        <translation>收尾中</translation>
    </message>
    <message>
        <source>stress %1</source>
        <translation>压力 %1</translation>
    </message>
</context>
<context>
    <name>sluice::ChartsPanel</name>
    <message>
        <source>Window:</source>
        <translation>时间窗口：</translation>
    </message>
    <message>
        <source>1 min</source>
        <translation>1 分钟</translation>
    </message>
    <message>
        <source>5 min</source>
        <translation>5 分钟</translation>
    </message>
    <message>
        <source>15 min</source>
        <translation>15 分钟</translation>
    </message>
    <message>
        <source>1 h</source>
        <translation>1 小时</translation>
    </message>
    <message>
        <source>How much history every chart shows. History is kept for an hour whatever you pick.</source>
        <translation>各图表显示的历史时长。无论选择多少，历史数据都会保留一小时。</translation>
    </message>
    <message>
        <source>Freeze</source>
        <translation>冻结</translation>
    </message>
    <message>
        <source>Freeze the charts to read them; data keeps being recorded and traffic is not affected.</source>
        <translation>冻结图表以便查看；数据仍会继续记录，流量不受影响。</translation>
    </message>
    <message>
        <source>Concurrency</source>
        <translation>并发</translation>
    </message>
    <message>
        <source>requests</source>
        <translation>请求数</translation>
    </message>
    <message>
        <source>in flight</source>
        <translation>在途</translation>
    </message>
    <message>
        <source>limit</source>
        <translation>上限</translation>
    </message>
    <message>
        <source>Queue depth</source>
        <translation>队列深度</translation>
    </message>
    <message>
        <source>queued</source>
        <translation>排队中</translation>
    </message>
    <message>
        <source>critical &gt; 50</source>
        <translation>严重 &gt; 50</translation>
    </message>
    <message>
        <source>Requests per second</source>
        <translation>每秒请求数</translation>
    </message>
    <message>
        <source>req/s</source>
        <translation>请求/秒</translation>
    </message>
    <message>
        <source>sent</source>
        <translation>已发送</translation>
    </message>
    <message>
        <source>429</source>
        <translation>429</translation>
    </message>
    <message>
        <source>Latency (last 10 s)</source>
        <translation>延迟（最近 10 秒）</translation>
    </message>
    <message>
        <source>ms</source>
        <translation>ms</translation>
    </message>
    <message>
        <source>e2e p50</source>
        <translation>端到端 p50</translation>
    </message>
    <message>
        <source>e2e p95</source>
        <translation>端到端 p95</translation>
    </message>
    <message>
        <source>e2e p99</source>
        <translation>端到端 p99</translation>
    </message>
    <message>
        <source>TTFT p50</source>
        <translation>TTFT p50</translation>
    </message>
    <message>
        <source>TTFT p95</source>
        <translation>TTFT p95</translation>
    </message>
    <message>
        <source>Tokens per second</source>
        <translation>每秒 token 数</translation>
    </message>
    <message>
        <source>tokens/s</source>
        <translation>token/秒</translation>
    </message>
    <message>
        <source>output</source>
        <translation>输出</translation>
    </message>
    <message>
        <source>prompt</source>
        <translation>提示词</translation>
    </message>
    <message>
        <source>for budget</source>
        <translation>等待配额</translation>
    </message>
    <message>
        <source>ok</source>
        <translation>成功</translation>
    </message>
    <message>
        <source>errors</source>
        <translation>错误</translation>
    </message>
    <message>
        <source>80%</source>
        <translation>80%</translation>
    </message>
    <message>
        <source>95%</source>
        <translation>95%</translation>
    </message>
    <message>
        <source>high</source>
        <translation>高</translation>
    </message>
    <message>
        <source>normal</source>
        <translation>普通</translation>
    </message>
    <message>
        <source>low</source>
        <translation>低</translation>
    </message>
    <message>
        <source>Attempts sent, successful answers, 429 answers and other failures per second. Errors include requests the open circuit breaker failed at once without sending them.</source>
        <translation>每秒发送的尝试、成功响应、429 响应和其他失败。错误包括熔断器打开时未发送即立即失败的请求。</translation>
    </message>
    <message>
        <source>total p95</source>
        <translation>总耗时 p95</translation>
    </message>
    <message>
        <source>Percentiles of the requests that ended in the last 10 s. e2e: from sending the request to its last byte (what the server took). total: from submission to the end, our own queue, retries and back-off included (what the caller waited). TTFT: from sending to the first token. Queue time is total minus e2e.</source>
        <translation>最近 10 秒内结束的请求的百分位数。端到端：从发送请求到收到最后一个字节（服务器所用的时间）。总耗时：从提交到结束，包括我们自己的队列、重试和退避（调用方等待的时间）。TTFT：从发送到收到第一个 token。排队时间 = 总耗时 − 端到端。</translation>
    </message>
    <message>
        <source>Total p95 by priority</source>
        <translation>各优先级总耗时 p95</translation>
    </message>
    <message>
        <source>95th percentile of total latency (submission to the end, our own queue included) over the last 10 s for each priority class: high (0), normal (1), low (2 and below). Priority decides the queue order, so this is where it shows: under overload, high stays near the service time while normal waits in the queue.</source>
        <translation>每个优先级类别最近 10 秒总耗时（从提交到结束，包括我们自己的队列）的第 95 百分位：高（0）、普通（1）、低（2 及以下）。优先级决定排队顺序，因此差别体现在这里：过载时，高优先级接近服务时间，而普通优先级在队列中等待。</translation>
    </message>
</context>
<context>
    <name>sluice::DemoPlayer</name>
    <message>
        <source>a run is already going: stop it first</source>
        <translation>已有运行正在进行：请先停止</translation>
    </message>
</context>
<context>
    <name>sluice::ErrorsView</name>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Count</source>
        <translation>次数</translation>
    </message>
    <message>
        <source>Share</source>
        <translation>占比</translation>
    </message>
    <message>
        <source>Share of the requests that ended (succeeded, failed, rejected or timed out).</source>
        <translation>占已结束请求（成功、失败、被拒绝或超时）的比例。</translation>
    </message>
    <message>
        <source>Why requests failed since the run started, most frequent first.</source>
        <translation>自运行开始以来请求失败的原因，最常见的在前。</translation>
    </message>
    <message>
        <source>%1 failed of %2 ended (%3%)</source>
        <translation>已结束 %2 个，失败 %1 个（%3%）</translation>
    </message>
    <message>
        <source>No failures.</source>
        <translation>没有失败。</translation>
    </message>
</context>
<context>
    <name>sluice::LimitsPanel</name>
    <message>
        <source>Rate limits</source>
        <translation>速率限制</translation>
    </message>
    <message>
        <source>Requests per minute the engine lets out, spread evenly (GCRA). Waiting requests queue; 0 = no limit.</source>
        <translation>引擎每分钟放行的请求数，均匀分布（GCRA）。等待的请求进入队列；0 = 不限。</translation>
    </message>
    <message>
        <source>off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source> /min</source>
        <translation> /分钟</translation>
    </message>
    <message>
        <source>Requests (RPM)</source>
        <translation>请求（RPM）</translation>
    </message>
    <message>
        <source>Tokens per minute the engine lets out (prompt plus the max_tokens reservation), spread evenly. A request waits until its tokens fit; 0 = no limit.</source>
        <translation>引擎每分钟放行的 token 数（提示词加 max_tokens 预留），均匀分布。请求会等待直到其 token 额度足够；0 = 不限。</translation>
    </message>
    <message>
        <source>Tokens (TPM)</source>
        <translation>Token（TPM）</translation>
    </message>
    <message>
        <source>Follow the server&apos;s rate-limit headers</source>
        <translation>遵循服务器的限流响应头</translation>
    </message>
    <message>
        <source>Learn the limits the server announces (x-ratelimit-* headers) and hold requests back after a 429 for as long as Retry-After says. Off, only the limits above pace the traffic.</source>
        <translation>读取服务器公布的限额（x-ratelimit-* 响应头），并在收到 429 后按 Retry-After 指定的时长暂缓请求。关闭时仅由上方的限制控制流量节奏。</translation>
    </message>
    <message>
        <source>Concurrency</source>
        <translation>并发</translation>
    </message>
    <message>
        <source>Fixed</source>
        <translation>固定</translation>
    </message>
    <message>
        <source>AIMD (loss)</source>
        <translation>AIMD（按错误）</translation>
    </message>
    <message>
        <source>Gradient (latency)</source>
        <translation>梯度（按延迟）</translation>
    </message>
    <message>
        <source>Combined</source>
        <translation>组合</translation>
    </message>
    <message>
        <source>How many requests may be in flight at once. Fixed: always the maximum. AIMD: one more while requests succeed, 10% fewer on a 429, 503 or timeout. Gradient: more while latency stays flat, fewer when it rises. Combined: gradient, plus the cut on errors.</source>
        <translation>同时允许多少请求在途。固定：始终为最大值。AIMD：请求成功时加 1，遇到 429、503 或超时时减少 10%。梯度：延迟平稳时增加，延迟上升时减少。组合：梯度算法，并在出错时削减。</translation>
    </message>
    <message>
        <source>Algorithm</source>
        <translation>算法</translation>
    </message>
    <message>
        <source>Most requests in flight at once: the limit itself when fixed, the ceiling an adaptive algorithm may reach. More wait in the queue; 0 = no cap.</source>
        <translation>同时在途请求的最大数量：固定模式下即为上限本身，自适应算法下为可达到的最高值。超出的请求在队列中等待；0 = 不设上限。</translation>
    </message>
    <message>
        <source>no cap</source>
        <translation>无上限</translation>
    </message>
    <message>
        <source>The engine&apos;s live concurrency limit: requests beyond it wait in the queue. Adaptive algorithms move it between the minimum and the maximum.</source>
        <translation>引擎当前的并发上限：超出的请求在队列中等待。自适应算法会在最小值和最大值之间调整它。</translation>
    </message>
    <message>
        <source>now %1</source>
        <translation>当前 %1</translation>
    </message>
    <message>
        <source>Maximum</source>
        <translation>最大值</translation>
    </message>
    <message>
        <source>Floor of the adaptive limit: however many errors or however slow the server, at least this many requests stay in flight.</source>
        <translation>自适应上限的下限：无论错误多少或服务器多慢，至少保持这么多请求在途。</translation>
    </message>
    <message>
        <source>Adaptive min</source>
        <translation>自适应最小值</translation>
    </message>
    <message>
        <source>Where the adaptive limit starts when the algorithm is switched on; it then moves with what the server answers.</source>
        <translation>启用算法时自适应上限的初始值；之后会根据服务器的响应调整。</translation>
    </message>
    <message>
        <source>Start at</source>
        <translation>初始值</translation>
    </message>
    <message>
        <source>Queue</source>
        <translation>队列</translation>
    </message>
    <message>
        <source>Requests that may wait for a concurrency slot or rate budget. When it is full, new requests are rejected at once.</source>
        <translation>可等待并发槽位或速率配额的请求数。队列满时，新请求会被立即拒绝。</translation>
    </message>
    <message>
        <source>Capacity</source>
        <translation>容量</translation>
    </message>
    <message>
        <source>A request still queued or running this long after it was submitted ends as timed out, retries included; 0 = no deadline.</source>
        <translation>请求提交后超过此时长仍在排队或运行，则以超时结束（含重试）；0 = 无截止时间。</translation>
    </message>
    <message>
        <source> s</source>
        <translation> 秒</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>Request timeout</source>
        <translation>请求超时</translation>
    </message>
    <message>
        <source>Retries</source>
        <translation>重试</translation>
    </message>
    <message>
        <source>Attempts after the first for a retryable failure (429, 5xx, reset, timeout); each retry is sent again through the limits. 0 = never retry.</source>
        <translation>可重试失败（429、5xx、连接重置、超时）在首次之后的尝试次数；每次重试都会重新经过各项限制。0 = 从不重试。</translation>
    </message>
    <message>
        <source>Wait before the first retry, doubled for each further one with jitter; a server&apos;s Retry-After wins when longer.</source>
        <translation>首次重试前的等待时间，之后每次加倍并带随机抖动；服务器的 Retry-After 更长时以其为准。</translation>
    </message>
    <message>
        <source> ms</source>
        <translation> ms</translation>
    </message>
    <message>
        <source>Base delay</source>
        <translation>基础延迟</translation>
    </message>
    <message>
        <source>Circuit breaker</source>
        <translation>熔断器</translation>
    </message>
    <message>
        <source>Stop sending while the server fails</source>
        <translation>服务器故障时停止发送</translation>
    </message>
    <message>
        <source>When too many recent calls fail, stop sending (requests fail fast) for a while, then let a few probes through before sending again.</source>
        <translation>近期失败的调用过多时，暂停发送一段时间（请求快速失败），然后放行少量探测请求，再恢复发送。</translation>
    </message>
    <message>
        <source>Share of failed calls among the recent ones that opens the breaker.</source>
        <translation>近期调用中失败所占比例达到此值时熔断器打开。</translation>
    </message>
    <message>
        <source> %</source>
        <translation> %</translation>
    </message>
    <message>
        <source>Failure rate</source>
        <translation>失败率</translation>
    </message>
    <message>
        <source>Recent calls needed before the failure rate can open the breaker, so a few early errors do not.</source>
        <translation>失败率可触发熔断前所需的近期调用数，避免少量早期错误就触发熔断。</translation>
    </message>
    <message>
        <source>Minimum calls</source>
        <translation>最少调用数</translation>
    </message>
    <message>
        <source>How long an open breaker refuses every request before it lets probes through.</source>
        <translation>熔断器打开后拒绝所有请求的时长，之后放行探测请求。</translation>
    </message>
    <message>
        <source>Open for</source>
        <translation>打开时长</translation>
    </message>
</context>
<context>
    <name>sluice::LiveChart</name>
    <message>
        <source>now</source>
        <translation>现在</translation>
    </message>
    <message>
        <source>minutes ago</source>
        <translation>分钟前</translation>
    </message>
    <message>
        <source>seconds ago</source>
        <translation>秒前</translation>
    </message>
</context>
<context>
    <name>sluice::MainWindow</name>
    <message>
        <source>Sluice — LLM traffic console</source>
        <translation>Sluice — LLM 流量控制台</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>开始</translation>
    </message>
    <message>
        <source>Start a run with the benchmark panel&apos;s target and load (Ctrl+R).</source>
        <translation>使用压测面板中的目标和负载开始运行（Ctrl+R）。</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Stop offering new requests for now; what is in flight finishes (Ctrl+P).</source>
        <translation>暂时不再发送新请求；在途请求会继续完成（Ctrl+P）。</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>End the run: no new requests, in-flight ones finish, then the results (Ctrl+.). Twice: cancel what is still out.</source>
        <translation>结束运行：不再发送新请求，等待在途请求完成后显示结果（Ctrl+.）。按两次：取消仍未完成的请求。</translation>
    </message>
    <message>
        <source>Cannot start</source>
        <translation>无法开始</translation>
    </message>
    <message>
        <source>Requests</source>
        <translation>请求</translation>
    </message>
    <message>
        <source>Alerts &amp;&amp; events</source>
        <translation>告警 &amp;&amp; 事件</translation>
    </message>
    <message>
        <source>Results</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>Controls</source>
        <translation>控制</translation>
    </message>
    <message>
        <source>Benchmark</source>
        <translation>压测</translation>
    </message>
    <message>
        <source>Limits</source>
        <translation>限制</translation>
    </message>
    <message>
        <source>Mock server</source>
        <translation>模拟服务器</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>运行</translation>
    </message>
    <message>
        <source>Alerts &amp;&amp; events (%1)</source>
        <translation>告警 &amp;&amp; 事件（%1）</translation>
    </message>
    <message>
        <source>Limits saved for the next run.</source>
        <translation>限制已保存，将用于下次运行。</translation>
    </message>
    <message>
        <source>Mock: %1</source>
        <translation>模拟服务器：%1</translation>
    </message>
    <message>
        <source>Built-in mock at %1</source>
        <translation>内置模拟服务器位于 %1</translation>
    </message>
    <message>
        <source>Built-in mock not running</source>
        <translation>内置模拟服务器未运行</translation>
    </message>
    <message>
        <source>Built-in mock starting</source>
        <translation>内置模拟服务器正在启动</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Open scenario…</source>
        <translation>打开场景(&amp;O)…</translation>
    </message>
    <message>
        <source>&amp;Save scenario…</source>
        <translation>保存场景(&amp;S)…</translation>
    </message>
    <message>
        <source>Export &amp;report…</source>
        <translation>导出报告(&amp;R)…</translation>
    </message>
    <message>
        <source>Export &amp;charts as PNG…</source>
        <translation>将图表导出为 PNG(&amp;C)…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Run</source>
        <translation>运行(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Demos</source>
        <translation>演示(&amp;D)</translation>
    </message>
    <message>
        <source>Cannot start the demo</source>
        <translation>无法启动演示</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>Last minute</source>
        <translation>最近 1 分钟</translation>
    </message>
    <message>
        <source>Last 5 minutes</source>
        <translation>最近 5 分钟</translation>
    </message>
    <message>
        <source>Last 15 minutes</source>
        <translation>最近 15 分钟</translation>
    </message>
    <message>
        <source>Last hour</source>
        <translation>最近 1 小时</translation>
    </message>
    <message>
        <source>&amp;Freeze charts</source>
        <translation>冻结图表(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>System default</source>
        <translation>系统默认</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;About Sluice</source>
        <translation>关于 Sluice(&amp;A)</translation>
    </message>
    <message>
        <source>About Sluice</source>
        <translation>关于 Sluice</translation>
    </message>
    <message>
        <source>&lt;b&gt;Sluice %1&lt;/b&gt;&lt;br&gt;A console for LLM API traffic: load-test a key, keep traffic inside its limits, and watch it live.</source>
        <translation>&lt;b&gt;Sluice %1&lt;/b&gt;&lt;br&gt;LLM API 流量控制台：对密钥进行压测，将流量控制在限额之内，并实时观察。</translation>
    </message>
    <message>
        <source>no demo called %1</source>
        <translation>没有名为 %1 的演示</translation>
    </message>
    <message>
        <source>run started</source>
        <translation>运行开始</translation>
    </message>
    <message>
        <source>Running: %1 → %2</source>
        <translation>正在运行：%1 → %2</translation>
    </message>
    <message>
        <source>built-in mock at %1</source>
        <translation>内置模拟服务器位于 %1</translation>
    </message>
    <message>
        <source>run ended</source>
        <translation>运行结束</translation>
    </message>
    <message>
        <source>Run finished</source>
        <translation>运行完成</translation>
    </message>
    <message>
        <source>Save scenario</source>
        <translation>保存场景</translation>
    </message>
    <message>
        <source>Scenario files (*.json)</source>
        <translation>场景文件 (*.json)</translation>
    </message>
    <message>
        <source>Cannot save</source>
        <translation>无法保存</translation>
    </message>
    <message>
        <source>Scenario saved to %1</source>
        <translation>场景已保存到 %1</translation>
    </message>
    <message>
        <source>Open scenario</source>
        <translation>打开场景</translation>
    </message>
    <message>
        <source>Cannot open scenario</source>
        <translation>无法打开场景</translation>
    </message>
    <message>
        <source>mock: %1</source>
        <translation>模拟服务器：%1</translation>
    </message>
    <message>
        <source>Scenario loaded from %1</source>
        <translation>已从 %1 加载场景</translation>
    </message>
    <message>
        <source>no run has finished yet</source>
        <translation>尚无已完成的运行</translation>
    </message>
    <message>
        <source>Export report into</source>
        <translation>导出报告到</translation>
    </message>
    <message>
        <source>Cannot export</source>
        <translation>无法导出</translation>
    </message>
    <message>
        <source>Report written to %1</source>
        <translation>报告已写入 %1</translation>
    </message>
    <message>
        <source>Save charts</source>
        <translation>保存图表</translation>
    </message>
    <message>
        <source>PNG images (*.png)</source>
        <translation>PNG 图像 (*.png)</translation>
    </message>
    <message>
        <source>Could not write %1</source>
        <translation>无法写入 %1</translation>
    </message>
    <message>
        <source>Charts saved to %1</source>
        <translation>图表已保存到 %1</translation>
    </message>
    <message>
        <source>Errors</source>
        <translation>错误</translation>
    </message>
    <message>
        <source>Errors (%1)</source>
        <translation>错误 (%1)</translation>
    </message>
    <message>
        <source>a run is already going: stop it first</source>
        <translation>已有运行正在进行：请先停止</translation>
    </message>
    <message>
        <source>Demo over: your limits, mock and load are back.</source>
        <translation>演示结束：已恢复您的限制、模拟服务器和负载设置。</translation>
    </message>
    <message>
        <source>closed loop, %1 in flight</source>
        <translation>闭环，%1 个在途</translation>
    </message>
    <message>
        <source>constant %1/s</source>
        <translation>恒定 %1/秒</translation>
    </message>
    <message>
        <source>Poisson %1/s</source>
        <translation>泊松 %1/秒</translation>
    </message>
</context>
<context>
    <name>sluice::MockPanel</name>
    <message>
        <source>Mock server</source>
        <translation>模拟服务器</translation>
    </message>
    <message>
        <source>Requests the mock serves at once. More wait in its queue for a free slot, so latency grows with the load beyond this.</source>
        <translation>模拟服务器可同时处理的请求数。超出的请求在其队列中等待空闲槽位，因此负载超过此值后延迟会增加。</translation>
    </message>
    <message>
        <source>Capacity</source>
        <translation>容量</translation>
    </message>
    <message>
        <source>Requests per minute the mock accepts over a sliding minute; beyond it answers 429 with Retry-After. 0 = unlimited.</source>
        <translation>模拟服务器在滑动的一分钟内接受的请求数；超出时返回 429 并附带 Retry-After。0 = 不限。</translation>
    </message>
    <message>
        <source>unlimited</source>
        <translation>不限</translation>
    </message>
    <message>
        <source>RPM limit</source>
        <translation>RPM 限制</translation>
    </message>
    <message>
        <source>Tokens (prompt plus completion) per minute the mock accepts; beyond it answers 429. 0 = unlimited.</source>
        <translation>模拟服务器每分钟接受的 token 数（提示词加生成内容）；超出时返回 429。0 = 不限。</translation>
    </message>
    <message>
        <source>TPM limit</source>
        <translation>TPM 限制</translation>
    </message>
    <message>
        <source>Time to first token once a slot is free: the mock&apos;s thinking time before each answer starts.</source>
        <translation>获得空闲槽位后的首 token 延迟：模拟服务器每次开始回答前的“思考”时间。</translation>
    </message>
    <message>
        <source> ms</source>
        <translation> ms</translation>
    </message>
    <message>
        <source>First token</source>
        <translation>首 token</translation>
    </message>
    <message>
        <source>Time per output token after the first: with the answer length, how long each request holds its slot.</source>
        <translation>首个之后每个输出 token 的耗时：与回答长度一起决定每个请求占用槽位的时长。</translation>
    </message>
    <message>
        <source>Per token</source>
        <translation>每 token</translation>
    </message>
    <message>
        <source>Shortest answer in tokens; each answer&apos;s length is drawn between the minimum and the maximum (capped by the request&apos;s max_tokens).</source>
        <translation>最短回答的 token 数；每个回答的长度在最小值与最大值之间随机取值（不超过请求的 max_tokens）。</translation>
    </message>
    <message>
        <source>Longest answer in tokens; each answer&apos;s length is drawn between the minimum and the maximum (capped by the request&apos;s max_tokens).</source>
        <translation>最长回答的 token 数；每个回答的长度在最小值与最大值之间随机取值（不超过请求的 max_tokens）。</translation>
    </message>
    <message>
        <source>Output tokens</source>
        <translation>输出 token</translation>
    </message>
    <message>
        <source>Random spread of every delay: each is scaled by a factor between 1 - jitter and 1 + jitter. 0 = every request takes the same time.</source>
        <translation>各项延迟的随机波动：每项延迟乘以 1 - 抖动 到 1 + 抖动 之间的系数。0 = 每个请求耗时相同。</translation>
    </message>
    <message>
        <source> %</source>
        <translation> %</translation>
    </message>
    <message>
        <source>Jitter</source>
        <translation>抖动</translation>
    </message>
    <message>
        <source>Faults (share of requests)</source>
        <translation>故障（请求占比）</translation>
    </message>
    <message>
        <source>503</source>
        <translation>503</translation>
    </message>
    <message>
        <source>Share of requests answered 503 Service Unavailable: a retryable overload, a breaker and adaptive limits react to it.</source>
        <translation>返回 503 Service Unavailable 的请求占比：可重试的过载错误，熔断器和自适应限制会对其做出反应。</translation>
    </message>
    <message>
        <source>500</source>
        <translation>500</translation>
    </message>
    <message>
        <source>Share of requests answered 500 Internal Server Error (retryable).</source>
        <translation>返回 500 Internal Server Error 的请求占比（可重试）。</translation>
    </message>
    <message>
        <source>529</source>
        <translation>529</translation>
    </message>
    <message>
        <source>Share of requests answered 529 overloaded_error (Anthropic format; 503 on the OpenAI endpoints).</source>
        <translation>返回 529 overloaded_error 的请求占比（Anthropic 格式；OpenAI 端点上为 503）。</translation>
    </message>
    <message>
        <source>429 quota</source>
        <translation>429 配额</translation>
    </message>
    <message>
        <source>Share of requests answered 429 insufficient_quota: out of credit, which a client must not retry.</source>
        <translation>返回 429 insufficient_quota 的请求占比：额度已用尽，客户端不应重试。</translation>
    </message>
    <message>
        <source>Reset</source>
        <translation>连接重置</translation>
    </message>
    <message>
        <source>Share of connections reset (TCP RST) right after the request is read.</source>
        <translation>读取请求后立即重置（TCP RST）的连接占比。</translation>
    </message>
    <message>
        <source>Stall</source>
        <translation>挂起</translation>
    </message>
    <message>
        <source>Share of responses that send headers and then go silent until the stall time passes: only a timeout ends them.</source>
        <translation>发送响应头后一直无响应、直到挂起时间结束的响应占比：只能靠超时结束。</translation>
    </message>
    <message>
        <source>Mid-stream</source>
        <translation>中途断开</translation>
    </message>
    <message>
        <source>Share of responses that break halfway: an error event in a stream, a cut body otherwise.</source>
        <translation>中途断开的响应占比：流式时为错误事件，否则为截断的响应体。</translation>
    </message>
    <message>
        <source>Share of all requests that fail on purpose; at most 100%.</source>
        <translation>被故意设为失败的请求占总请求的比例；最多 100%。</translation>
    </message>
    <message>
        <source>Quick changes</source>
        <translation>快捷操作</translation>
    </message>
    <message>
        <source>Halve capacity</source>
        <translation>容量减半</translation>
    </message>
    <message>
        <source>Halve the mock&apos;s service slots now: latency and queueing rise, and adaptive limits should follow the capacity down.</source>
        <translation>立即将模拟服务器的服务槽位减半：延迟和排队会增加，自适应限制应随容量一同下调。</translation>
    </message>
    <message>
        <source>Restore capacity</source>
        <translation>恢复容量</translation>
    </message>
    <message>
        <source>Give the mock back the capacity it had before the first halving.</source>
        <translation>将模拟服务器恢复到第一次减半之前的容量。</translation>
    </message>
    <message>
        <source>Inject 30% 503s</source>
        <translation>注入 30% 503</translation>
    </message>
    <message>
        <source>Answer 30% of requests with 503 (less when other faults leave less room): retries, the breaker and adaptive limits react.</source>
        <translation>对 30% 的请求返回 503（其他故障占用比例时会更少）：重试、熔断器和自适应限制会做出反应。</translation>
    </message>
    <message>
        <source>Outage (100% 503s)</source>
        <translation>宕机（100% 503）</translation>
    </message>
    <message>
        <source>Answer every request with 503, clearing the other faults: a full outage, which an enabled breaker should open on.</source>
        <translation>对所有请求返回 503，并清除其他故障：完全宕机，已启用的熔断器应随之打开。</translation>
    </message>
    <message>
        <source>Clear faults</source>
        <translation>清除故障</translation>
    </message>
    <message>
        <source>Set every fault share to 0: the mock answers normally again.</source>
        <translation>将所有故障占比设为 0：模拟服务器恢复正常响应。</translation>
    </message>
    <message>
        <source>outage: 100% 503s</source>
        <translation>宕机：100% 503</translation>
    </message>
    <message>
        <source>What the server saw</source>
        <translation>服务器端观测</translation>
    </message>
    <message>
        <source>Requests the mock is handling now (served or waiting for a slot), and the most at once since its stats were reset.</source>
        <translation>模拟服务器当前正在处理的请求数（处理中或等待槽位），以及自统计重置以来的同时最大值。</translation>
    </message>
    <message>
        <source>In flight now / peak</source>
        <translation>当前在途 / 峰值</translation>
    </message>
    <message>
        <source>LLM requests the mock received in all, and how many it admitted in the last sliding minute (against its RPM limit).</source>
        <translation>模拟服务器收到的 LLM 请求总数，以及最近滑动一分钟内接受的数量（对照其 RPM 限制）。</translation>
    </message>
    <message>
        <source>Requests</source>
        <translation>请求数</translation>
    </message>
    <message>
        <source>Requests the mock refused with 429 because its RPM or TPM limit was reached: the client sent faster than allowed.</source>
        <translation>因达到 RPM 或 TPM 限制而被模拟服务器以 429 拒绝的请求：客户端发送速度超过了允许值。</translation>
    </message>
    <message>
        <source>429s</source>
        <translation>429 次数</translation>
    </message>
    <message>
        <source>Requests queued inside the mock for a free slot, and the slots in use out of its capacity.</source>
        <translation>在模拟服务器内部排队等待空闲槽位的请求数，以及已占用槽位数与总容量。</translation>
    </message>
    <message>
        <source>Waiting</source>
        <translation>等待中</translation>
    </message>
    <message>
        <source>How the mock ended its requests, by HTTP status (and reset, stall, client_closed).</source>
        <translation>模拟服务器结束请求的方式，按 HTTP 状态分类（以及 reset、stall、client_closed）。</translation>
    </message>
    <message>
        <source>By status</source>
        <translation>按状态</translation>
    </message>
    <message>
        <source>The fault shares added up to more than 100%; the last ones were lowered.</source>
        <translation>故障占比之和超过 100%；已调低最后几项。</translation>
    </message>
    <message>
        <source>%1 / %2</source>
        <translation>%1 / %2</translation>
    </message>
    <message>
        <source>%1 · %2 of %3 in last min</source>
        <translation>%1 · 最近 1 分钟 %2 / %3</translation>
    </message>
    <message>
        <source>%1 · %2 in last min</source>
        <translation>%1 · 最近 1 分钟 %2</translation>
    </message>
    <message>
        <source>%1 (%2%)</source>
        <translation>%1（%2%）</translation>
    </message>
    <message>
        <source>%1 · %2 of %3 slots busy</source>
        <translation>%1 · 槽位占用 %2 / %3</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message>
        <source>Fault shares cannot add up to more than 100%: lowered to %1% (what the other faults leave).</source>
        <translation>故障占比之和不能超过 100%：已调低为 %1%（其他故障剩余的比例）。</translation>
    </message>
    <message>
        <source>capacity halved (%1 → %2)</source>
        <translation>容量减半（%1 → %2）</translation>
    </message>
    <message>
        <source>capacity restored (%1)</source>
        <translation>容量已恢复（%1）</translation>
    </message>
    <message>
        <source>Only %1% of 503s fit beside the other faults (100% at most).</source>
        <translation>在其他故障之外只能容纳 %1% 的 503（总计最多 100%）。</translation>
    </message>
    <message>
        <source>%1% 503s injected</source>
        <translation>已注入 %1% 503</translation>
    </message>
    <message>
        <source>faults cleared</source>
        <translation>故障已清除</translation>
    </message>
    <message>
        <source>%1% of requests fail on purpose</source>
        <translation>%1% 的请求被故意设为失败</translation>
    </message>
</context>
<context>
    <name>sluice::RequestFilterModel</name>
    <message>
        <source>All</source>
        <translation>全部</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>活动</translation>
    </message>
    <message>
        <source>Queued</source>
        <translation>排队中</translation>
    </message>
    <message>
        <source>In flight</source>
        <translation>在途</translation>
    </message>
    <message>
        <source>Retrying</source>
        <translation>重试中</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
</context>
<context>
    <name>sluice::RequestTableModel</name>
    <message>
        <source>queued (#%1)</source>
        <translation>排队中（#%1）</translation>
    </message>
    <message>
        <source>queued</source>
        <translation>排队中</translation>
    </message>
    <message>
        <source>waiting for budget</source>
        <translation>等待配额</translation>
    </message>
    <message>
        <source>in flight</source>
        <translation>在途</translation>
    </message>
    <message>
        <source>streaming</source>
        <translation>流式接收中</translation>
    </message>
    <message>
        <source>retrying</source>
        <translation>重试中</translation>
    </message>
    <message>
        <source>done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>rejected</source>
        <translation>已拒绝</translation>
    </message>
    <message>
        <source>timed out</source>
        <translation>超时</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <source>Queued: waiting for a concurrency slot, #%1 in the queue when last reported.</source>
        <translation>排队中：等待并发槽位，最近一次报告时位于队列第 %1 位。</translation>
    </message>
    <message>
        <source>Queued: waiting for a concurrency slot.</source>
        <translation>排队中：等待并发槽位。</translation>
    </message>
    <message>
        <source>Waiting for budget: a rate budget (requests or tokens per minute) is spent; the request is sent when it opens again.</source>
        <translation>等待配额：速率配额（每分钟请求数或 token 数）已用完；配额恢复后发送该请求。</translation>
    </message>
    <message>
        <source>In flight: sent, waiting for the response.</source>
        <translation>在途：已发送，等待响应。</translation>
    </message>
    <message>
        <source>Streaming: receiving the response.</source>
        <translation>流式接收中：正在接收响应。</translation>
    </message>
    <message>
        <source>Retrying: attempt %1 failed; waiting before the next one.</source>
        <translation>重试中：第 %1 次尝试失败；等待下一次尝试。</translation>
    </message>
    <message numerus="yes">
        <source>Done after %n attempt(s).</source>
        <translation>
            <numerusform>经过 %n 次尝试后完成。</numerusform>
        </translation>
    </message>
    <message>
        <source>Failed: an error that is not retried, or no retries left.</source>
        <translation>失败：遇到不可重试的错误，或重试次数已用完。</translation>
    </message>
    <message>
        <source>Rejected: never sent (for example a full queue or an open circuit breaker).</source>
        <translation>已拒绝：从未发送（例如队列已满或熔断器已打开）。</translation>
    </message>
    <message>
        <source>Timed out: its deadline passed before it finished.</source>
        <translation>超时：在完成前已超过截止时间。</translation>
    </message>
    <message>
        <source>Cancelled before it finished.</source>
        <translation>在完成前被取消。</translation>
    </message>
    <message>
        <source>Last HTTP status: %1</source>
        <translation>最近一次 HTTP 状态：%1</translation>
    </message>
    <message>
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>Priority</source>
        <translation>优先级</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Attempts</source>
        <translation>尝试次数</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>HTTP 状态</translation>
    </message>
    <message>
        <source>TTFT (ms)</source>
        <translation>TTFT (ms)</translation>
    </message>
    <message>
        <source>The engine&apos;s request id, in order of submission.</source>
        <translation>引擎分配的请求 ID，按提交顺序递增。</translation>
    </message>
    <message>
        <source>Queue priority: 0 is the most urgent.</source>
        <translation>队列优先级：0 为最高。</translation>
    </message>
    <message>
        <source>Where the request is now.</source>
        <translation>请求当前所处的阶段。</translation>
    </message>
    <message>
        <source>Attempts sent so far (retries included).</source>
        <translation>到目前为止已发送的尝试次数（含重试）。</translation>
    </message>
    <message>
        <source>Reason: %1</source>
        <translation>原因：%1</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>E2E (ms)</source>
        <translation>端到端 (ms)</translation>
    </message>
    <message>
        <source>Total (ms)</source>
        <translation>总耗时 (ms)</translation>
    </message>
    <message>
        <source>HTTP status of the last attempt; for a failure without one (network, circuit breaker, full queue), why it failed.</source>
        <translation>最后一次尝试的 HTTP 状态码；没有状态码的失败（网络、熔断器、队列已满）显示失败原因。</translation>
    </message>
    <message>
        <source>Why the request failed, when it did.</source>
        <translation>请求失败时的原因。</translation>
    </message>
    <message>
        <source>Time to first token: from sending the last attempt to its first token, in milliseconds.</source>
        <translation>首 token 时间：从发送最后一次尝试到收到第一个 token，单位毫秒。</translation>
    </message>
    <message>
        <source>End to end: from sending the last attempt to its last byte, in milliseconds. What the server took.</source>
        <translation>端到端：从发送最后一次尝试到收到最后一个字节，单位毫秒。即服务器所用的时间。</translation>
    </message>
    <message>
        <source>From submission to the end, in milliseconds: our own queue, retries and back-off included. What the caller waited.</source>
        <translation>从提交到结束，单位毫秒：包括我们自己的队列、重试和退避。即调用方等待的时间。</translation>
    </message>
</context>
<context>
    <name>sluice::RequestsPanel</name>
    <message>
        <source>Show:</source>
        <translation>显示：</translation>
    </message>
    <message>
        <source>Filter the requests by state.</source>
        <translation>按状态筛选请求。</translation>
    </message>
    <message>
        <source>%1 shown of %2 (last %3 kept)</source>
        <translation>显示 %1 / %2（保留最近 %3 个）</translation>
    </message>
</context>
<context>
    <name>sluice::ResultsView</name>
    <message>
        <source>No run finished yet. Start one from the Benchmark tab.</source>
        <translation>尚无已完成的运行。请在“压测”标签页中开始一次运行。</translation>
    </message>
    <message>
        <source>Export report…</source>
        <translation>导出报告…</translation>
    </message>
    <message>
        <source>Write summary.json, timeseries.csv, requests.jsonl and a self-contained report.html into a folder.</source>
        <translation>将 summary.json、timeseries.csv、requests.jsonl 和独立的 report.html 写入一个文件夹。</translation>
    </message>
    <message>
        <source>Charts to PNG…</source>
        <translation>图表导出为 PNG…</translation>
    </message>
    <message>
        <source>Save the live charts as they are drawn now as a PNG image.</source>
        <translation>将实时图表的当前画面保存为 PNG 图像。</translation>
    </message>
    <message>
        <source>count</source>
        <translation>数量</translation>
    </message>
    <message>
        <source> (ms)</source>
        <translation> (ms)</translation>
    </message>
    <message>
        <source>Running…</source>
        <translation>运行中…</translation>
    </message>
    <message>
        <source>%1 of %2 succeeded in %3 s · %4 req/s · average latency %5 ms</source>
        <translation>成功 %1 / %2 · 用时 %3 秒 · %4 请求/秒 · 平均延迟 %5 ms</translation>
    </message>
    <message>
        <source> · SLO failed: %1</source>
        <translation> · SLO 未达标：%1</translation>
    </message>
    <message>
        <source>Failed %1 · rejected %2 · timed out %3 · cancelled %4 · retries %5 · 429s %6 · late starts %7 · output %8 tokens/s · peak concurrency %9</source>
        <translation>失败 %1 · 拒绝 %2 · 超时 %3 · 取消 %4 · 重试 %5 · 429 %6 次 · 延后发送 %7 · 输出 %8 token/秒 · 峰值并发 %9</translation>
    </message>
</context>
<context>
    <name>sluice::Session</name>
    <message>
        <source>a run is already going</source>
        <translation>已有运行正在进行</translation>
    </message>
    <message>
        <source>the built-in mock is not running</source>
        <translation>内置模拟服务器未运行</translation>
    </message>
</context>
<context>
    <name>sluice::StatsStrip</name>
    <message>
        <source>In flight / limit</source>
        <translation>在途 / 上限</translation>
    </message>
    <message>
        <source>Requests sent and not yet answered, against the concurrency limit (∞ = no cap). Amber: at the limit with requests waiting.</source>
        <translation>已发送但尚未响应的请求数，对照并发上限（∞ = 无上限）。琥珀色：已达上限且有请求在等待。</translation>
    </message>
    <message>
        <source>Queued</source>
        <translation>排队中</translation>
    </message>
    <message>
        <source>Requests waiting in the engine&apos;s queue for a concurrency slot, and of them how many wait for rate budget (RPM/TPM or the server&apos;s limits).</source>
        <translation>在引擎队列中等待并发槽位的请求数，以及其中等待速率配额（RPM/TPM 或服务器限额）的数量。</translation>
    </message>
    <message>
        <source>Processed</source>
        <translation>已处理</translation>
    </message>
    <message>
        <source>Rejected</source>
        <translation>已拒绝</translation>
    </message>
    <message>
        <source>RPS</source>
        <translation>RPS</translation>
    </message>
    <message>
        <source>Successful responses per second (last second), with the requests sent per second, retries included.</source>
        <translation>每秒成功响应数（最近一秒），以及每秒发送的请求数（含重试）。</translation>
    </message>
    <message>
        <source>Breaker</source>
        <translation>熔断器</translation>
    </message>
    <message>
        <source>The circuit breaker: closed (sending), OPEN (refusing every request after too many failures) or half-open (letting probes through).</source>
        <translation>熔断器状态：关闭（正常发送）、打开（失败过多后拒绝所有请求）或半开（放行探测请求）。</translation>
    </message>
    <message>
        <source>Next allowed in</source>
        <translation>下次可发送</translation>
    </message>
    <message>
        <source>While every rate budget is spent: how long until the next request may be sent. &quot;now&quot; when requests may go.</source>
        <translation>速率配额全部用完时：距离下一个请求可发送还有多久。可以发送时显示“现在”。</translation>
    </message>
    <message>
        <source>Client CPU / memory</source>
        <translation>客户端 CPU / 内存</translation>
    </message>
    <message>
        <source>Sluice&apos;s own process: CPU (100% = one full core) and resident memory. When the client saturates, its latency figures are no longer the server&apos;s.</source>
        <translation>Sluice 自身进程：CPU（100% = 占满一个核心）和常驻内存。客户端饱和时，测得的延迟不再反映服务器的真实情况。</translation>
    </message>
    <message>
        <source>%1 / %2</source>
        <translation>%1 / %2</translation>
    </message>
    <message>
        <source>%1 (%2%)</source>
        <translation>%1（%2%）</translation>
    </message>
    <message>
        <source>sent %1</source>
        <translation>已发送 %1</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>closed</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>OPEN</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>half-open</source>
        <translation>半开</translation>
    </message>
    <message>
        <source>now</source>
        <translation>现在</translation>
    </message>
    <message>
        <source>%1% / %2 MB</source>
        <translation>%1% / %2 MB</translation>
    </message>
    <message>
        <source>Requests that have ended in any way: succeeded, failed, rejected, timed out or cancelled.</source>
        <translation>已结束的请求（任何方式）：成功、失败、被拒绝、超时或取消。</translation>
    </message>
    <message>
        <source>Client saturated</source>
        <translation>客户端饱和</translation>
    </message>
    <message>
        <source>Sluice itself is the bottleneck. This machine&apos;s CPU is nearly used up, by Sluice or by others: requests leave late and latencies include the client&apos;s own delay. Lower the load or run the client elsewhere.</source>
        <translation>瓶颈在 Sluice 自身。本机 CPU 几乎耗尽（Sluice 或其他进程）：请求发出延后，延迟中包含客户端自身的耗时。请降低负载或在其他机器上运行客户端。</translation>
    </message>
    <message>
        <source>%1 for budget</source>
        <translation>%1 等待额度</translation>
    </message>
    <message>
        <source>Requests refused by the engine (queue full) or timed out before they could be sent, and their share of all submitted. Amber above 1%, red above 5%.</source>
        <translation>被引擎拒绝（队列已满）或在发送前超时的请求，以及它们占全部已提交请求的比例。超过 1% 显示琥珀色，超过 5% 显示红色。</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>Requests that failed (HTTP errors, network errors, circuit-breaker fast failures), and their share of the requests that ended. Amber above 1%, red above 5% (the errors-critical alert). The Errors tab lists them by reason.</source>
        <translation>失败的请求（HTTP 错误、网络错误、熔断器快速失败），以及它们占已结束请求的比例。超过 1% 显示琥珀色，超过 5% 显示红色（errors-critical 告警）。“错误”标签页按原因列出它们。</translation>
    </message>
    <message>
        <source>429s</source>
        <translation>429 次数</translation>
    </message>
    <message>
        <source>Attempts the server answered 429 (rate limited), and their share of all attempts. Amber above 5% (the rate-limited-warning alert).</source>
        <translation>服务器返回 429（被限流）的尝试，以及它们占全部尝试的比例。超过 5% 显示琥珀色（rate-limited-warning 告警）。</translation>
    </message>
    <message>
        <source>p95 e2e / total</source>
        <translation>p95 端到端 / 总耗时</translation>
    </message>
    <message>
        <source>95th percentile over the last 10 s (seconds above 10 s) of e2e latency (request sent to its last byte: what the server took) and, as the detail, of total latency (submitted to the end: our queue, retries and back-off included).</source>
        <translation>最近 10 秒端到端延迟（从发送请求到最后一个字节：服务器所用的时间）的第 95 百分位，以及作为补充的总耗时（从提交到结束：包括我们的队列、重试和退避）的第 95 百分位（超过 10 秒以秒显示）。</translation>
    </message>
    <message>
        <source>total %1</source>
        <translation>总耗时 %1</translation>
    </message>
</context>
</TS>
