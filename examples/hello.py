"""The demo that `make run` serves: open http://127.0.0.1:5000/

One page that says what this framework is, shows counters the server
pushes once a second over Server-Sent Events, and echoes what you type
over a WebSocket. Everything is in this one file, so it also runs on a
board: ``mpremote run examples/hello.py`` (with a wifi.json on the board,
see docs/quickstart.md).

The port is 5000 unless the environment variable HTTP_PORT says otherwise
(the unix port and CPython have an environment; a board has none).
"""
import asyncio
import gc
import os
import sys
import time

from microdot import Microdot, Response
from microdot.sse import with_sse
from microdot.websocket import with_websocket

app = Microdot()
started = time.time()
stats = {'requests': 0, 'echoes': 0, 'listeners': 0}


def runtime_name():
    impl = sys.implementation
    version = '.'.join(str(n) for n in impl.version[:3])
    name = {'micropython': 'MicroPython', 'cpython': 'CPython'}.get(
        impl.name, impl.name)
    return '{} {} ({})'.format(name, version, sys.platform)


@app.after_request
async def count_request(request, response):
    stats['requests'] += 1


@app.route('/')
async def index(request):
    return Response(PAGE, headers={'Content-Type': 'text/html; charset=UTF-8'})


@app.route('/events')
@with_sse
async def events(request, sse):
    # Runs as long as the page is open: when the browser leaves, the
    # server cancels this task at its next await.
    stats['listeners'] += 1
    sent = 0
    try:
        while True:
            sent += 1
            mem_free = getattr(gc, 'mem_free', None)   # MicroPython only
            await sse.send({
                'uptime': int(time.time() - started),
                'requests': stats['requests'],
                'echoes': stats['echoes'],
                'listeners': stats['listeners'],
                'mem_free': mem_free() if mem_free else None,
                'sent': sent,
            })
            await asyncio.sleep(1)
    finally:
        stats['listeners'] -= 1


@app.route('/echo')
@with_websocket
async def echo(request, ws):
    while True:
        message = await ws.receive()
        stats['echoes'] += 1
        await ws.send(message)


PAGE = '''<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Microdot firmware bundle on $RUNTIME</title>
<style>
body{margin:0;font:16px/1.5 system-ui,sans-serif;color:#1d2330;
background:#f3f5f9}
header{background:#1f3b63;color:#fff;padding:28px 32px}
header h1{margin:0;font-size:28px}
header p{margin:6px 0 0;opacity:.85}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));
gap:20px;padding:24px 32px;max-width:1100px}
section{background:#fff;border-radius:10px;padding:18px 22px;
box-shadow:0 1px 3px rgba(0,0,0,.12)}
h2{margin:0 0 10px;font-size:19px}
ul{padding-left:20px;margin:8px 0}
code,pre{font-family:ui-monospace,monospace;font-size:14px}
pre{background:#f3f5f9;padding:10px;border-radius:6px;overflow:auto}
.stats{display:grid;grid-template-columns:1fr 1fr;gap:10px}
.stat{background:#f3f5f9;border-radius:8px;padding:8px 12px}
.stat b{display:block;font-size:24px;color:#1f3b63;white-space:nowrap}
.status{font-size:13px;color:#667}
form{display:flex;gap:8px}
input{flex:1;padding:8px;border:1px solid #c4cad6;border-radius:6px;
font:inherit}
button{padding:8px 16px;border:0;border-radius:6px;background:#1f3b63;
color:#fff;font:inherit;cursor:pointer}
#log{list-style:none;padding:0;max-height:200px;overflow:auto}
#log li{padding:3px 8px;border-radius:4px;margin:3px 0}
#log .out{background:#e8eef8}
#log .in{background:#e3f4e8}
</style>
</head>
<body>
<header>
<h1>Microdot firmware bundle, running on $RUNTIME</h1>
<p>A small web framework for MicroPython with the Microdot 2.x API,
shipped inside the firmware of ESP32 and RP2040 boards.</p>
</header>
<main>
<section>
<h2>What this is</h2>
<p>This page, its live counters and its echo box are served by one
Python file, <code>examples/hello.py</code>, that runs unchanged on the
MicroPython unix port, on a board and on CPython.</p>
<ul>
<li>routes, requests, responses, cookies, streaming</li>
<li>HTTP/1.1 keep-alive, bounded memory, timeouts</li>
<li>WebSocket, Server-Sent Events, templates, sessions, CORS</li>
<li>frozen firmware, <code>mpremote</code> deploy,
<code>mip</code> install</li>
</ul>
<pre>from microdot import Microdot

app = Microdot()

@app.route('/')
async def index(request):
    return 'Hello, world!'

app.run()</pre>
</section>
<section>
<h2>Live counters (Server-Sent Events)</h2>
<div class="stats">
<div class="stat">up for<b id="uptime">-</b></div>
<div class="stat">requests served<b id="requests">-</b></div>
<div class="stat">messages echoed<b id="echoes">-</b></div>
<div class="stat">pages watching<b id="listeners">-</b></div>
<div class="stat">free heap<b id="memory">-</b></div>
<div class="stat">events to this page<b id="sent">-</b></div>
</div>
<p class="status" id="sse-status">connecting...</p>
</section>
<section>
<h2>Echo (WebSocket)</h2>
<form id="echo-form">
<input id="echo-input" autocomplete="off" placeholder="type something">
<button id="echo-send">Send</button>
</form>
<ul id="log"></ul>
<p class="status" id="ws-status">connecting...</p>
</section>
</main>
<script>
const $ = (id) => document.getElementById(id);
function seconds(n) {
  return n < 60 ? n + ' s' : Math.floor(n / 60) + ' min ' + (n % 60) + ' s';
}
const events = new EventSource('/events');
events.onopen = () => {
  $('sse-status').textContent = 'receiving every second';
};
events.onerror = () => { $('sse-status').textContent = 'reconnecting...'; };
events.onmessage = (e) => {
  const s = JSON.parse(e.data);
  $('uptime').textContent = seconds(s.uptime);
  $('requests').textContent = s.requests;
  $('echoes').textContent = s.echoes;
  $('listeners').textContent = s.listeners;
  $('sent').textContent = s.sent;
  $('memory').textContent = s.mem_free === null ? 'n/a' :
    Math.round(s.mem_free / 1024) + ' KiB';
};
const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
const ws = new WebSocket(scheme + location.host + '/echo');
function log(text, cls) {
  const li = document.createElement('li');
  li.className = cls;
  li.textContent = text;
  $('log').appendChild(li);
  $('log').scrollTop = $('log').scrollHeight;
}
ws.onopen = () => { $('ws-status').textContent = 'connected'; };
ws.onclose = (e) => {
  $('ws-status').textContent = 'closed (code ' + e.code + ')';
};
ws.onmessage = (e) => log('server: ' + e.data, 'in');
$('echo-form').onsubmit = (e) => {
  e.preventDefault();
  const text = $('echo-input').value;
  if (text && ws.readyState === WebSocket.OPEN) {
    ws.send(text);
    log('you: ' + text, 'out');
    $('echo-input').value = '';
  }
};
</script>
</body>
</html>
'''.replace('$RUNTIME', runtime_name())


def port_from_environment(default=5000):
    getenv = getattr(os, 'getenv', None)    # a board has no environment
    value = getenv('HTTP_PORT') if getenv else None
    return int(value) if value else default


if __name__ == '__main__':
    from microdot.wifi import connect
    ip = connect()      # joins wifi.json's network on a board; else nothing
    port = port_from_environment()
    print('Open http://{}:{}/ in a browser'.format(ip or '127.0.0.1', port))
    app.run(host='0.0.0.0' if ip else '127.0.0.1', port=port, debug=True)
