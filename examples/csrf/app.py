"""CSRF protection: a form that changes state, safe from other sites.

The form on / posts to /transfer. Browsers say where a request comes from
(Sec-Fetch-Site, Origin), so a page of another site posting the same form
gets a 403, while this site's own page, an allowed origin of the CORS
settings and non-browser clients (curl) get through. /webhook is exempt.

Run it from the repository root with ``make run APP=examples/csrf/app.py``
(``RUNTIME=cpython`` for CPython), open http://127.0.0.1:5000/, then try
what a forged request looks like::

    curl -i -X POST http://127.0.0.1:5000/transfer -d amount=10 \\
        -H 'Sec-Fetch-Site: cross-site' -H 'Origin: https://evil.example'
"""
import os

from microdot import Microdot, Response, redirect
from microdot.cors import CORS
from microdot.csrf import CSRF

app = Microdot()
cors = CORS(app, allowed_origins=['https://example.com'])
csrf = CSRF(app, cors)
Response.default_content_type = 'text/html'
state = {'balance': 100, 'hooks': 0}

PAGE = '''<!doctype html>
<html>
  <head><title>CSRF example</title></head>
  <body>
    <h1>Balance: {balance}</h1>
    <form method="POST" action="/transfer">
      <input name="amount" value="10">
      <button type="submit">Transfer</button>
    </form>
    <p>Webhook calls: {hooks}</p>
  </body>
</html>'''


@app.route('/')
async def index(request):
    return PAGE.format(**state)


@app.post('/transfer')
async def transfer(request):
    amount = request.form.get('amount', '0') if request.form else '0'
    state['balance'] -= int(amount) if amount.isdigit() else 0
    return redirect('/')


@app.post('/webhook')
@csrf.exempt
async def webhook(request):
    state['hooks'] += 1
    return {'hooks': state['hooks']}


def port_from_environment(default=5000):
    getenv = getattr(os, 'getenv', None)    # a board has no environment
    value = getenv('HTTP_PORT') if getenv else None
    return int(value) if value else default


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=port_from_environment(), debug=True)
