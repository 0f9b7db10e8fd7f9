"""A board app: join the Wi-Fi network, then serve a sensor reading as a
page that refreshes itself and as JSON.

On a board (ESP32, ESP32-S3, Pico W) running our firmware, or stock
MicroPython with the bundle deployed (docs/quickstart.md)::

    echo '{"ssid": "my-network", "password": "secret"}' > wifi.json
    mpremote cp wifi.json :wifi.json
    mpremote run examples/board/board.py

It prints the board's address; open http://<that address>:5000/. The
reading is the chip's own temperature sensor (ESP32: ``esp32``, RP2040:
ADC channel 4).

On the unix port (``make run APP=examples/board/board.py``) or CPython
there is no Wi-Fi to join and no chip sensor: the app serves on
127.0.0.1 and reads what this computer has, and says which: the CPU
temperature from /sys/class/thermal, else the load average from
/proc/loadavg, else a count of readings.
"""
import os
import sys
import time

from microdot import Microdot, Response

app = Microdot()
started = time.time()
readings = [0]


def read_sensor():
    """(what, value, unit, where it came from) of one real reading."""
    readings[0] += 1
    try:
        import esp32
    except ImportError:
        esp32 = None
    if esp32 is not None:
        if hasattr(esp32, 'mcu_temperature'):       # ESP32-S2/S3/C3
            return ('chip temperature', esp32.mcu_temperature(), 'C',
                    'esp32.mcu_temperature()')
        fahrenheit = esp32.raw_temperature()        # the original ESP32
        return ('chip temperature', round((fahrenheit - 32) / 1.8, 1), 'C',
                'esp32.raw_temperature()')
    if sys.platform == 'rp2':
        from machine import ADC
        volts = ADC(4).read_u16() * 3.3 / 65535     # RP2040 datasheet 4.9.5
        return ('chip temperature', round(27 - (volts - 0.706) / 0.001721, 1),
                'C', 'ADC channel 4')
    # The unix port or CPython: files of this computer, where it has them.
    for path, what, unit, scale in (
            ('/sys/class/thermal/thermal_zone0/temp', 'CPU temperature', 'C',
             1000),
            ('/proc/loadavg', 'CPU load, 1 minute average', '', 1)):
        try:
            with open(path) as f:
                value = float(f.read().split()[0]) / scale
            return what, round(value, 2), unit, path
        except (OSError, ValueError, IndexError):
            pass
    return ('readings served', readings[0], '',
            'no sensor on this computer: a counter')


@app.get('/reading')
async def reading(request):
    what, value, unit, source = read_sensor()
    return {'what': what, 'value': value, 'unit': unit, 'source': source,
            'platform': sys.platform, 'uptime': int(time.time() - started)}


@app.get('/')
async def index(request):
    return Response(PAGE, headers={'Content-Type': 'text/html; charset=UTF-8'})


PAGE = '''<!doctype html>
<html lang="en">
<head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Board</title>
<style>
body{font:18px/1.5 system-ui,sans-serif;text-align:center;margin-top:15vh;
color:#1d2330}
#value{font-size:64px;font-weight:bold;color:#1f3b63}
.small{font-size:14px;color:#667}
</style></head>
<body>
<div id="what">-</div>
<div id="value">-</div>
<div class="small">from <span id="source">-</span>
on <span id="platform">-</span>, up <span id="uptime">-</span> s</div>
<script>
async function refresh() {
  try {
    const r = await (await fetch('/reading')).json();
    document.getElementById('what').textContent = r.what;
    document.getElementById('value').textContent =
      r.value + (r.unit ? ' \\u00b0' + r.unit : '');
    for (const key of ['source', 'platform', 'uptime']) {
      document.getElementById(key).textContent = r[key];
    }
  } catch (e) {
    document.getElementById('what').textContent = 'the board is not answering';
  }
}
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
'''


def port_from_environment(default=5000):
    getenv = getattr(os, 'getenv', None)    # a board has no environment
    value = getenv('HTTP_PORT') if getenv else None
    return int(value) if value else default


if __name__ == '__main__':
    from microdot.wifi import connect
    ip = connect()      # None where there is no Wi-Fi: unix port, CPython
    port = port_from_environment()
    print('Open http://{}:{}/ in a browser'.format(ip or '127.0.0.1', port))
    app.run(host='0.0.0.0' if ip else '127.0.0.1', port=port, debug=True)
