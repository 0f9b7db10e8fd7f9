"""Forms: a guestbook. The page's form is posted to the server
(application/x-www-form-urlencoded), checked, kept in memory, and the
browser is sent back to the page (post/redirect/get), so reloading does
not post twice.

Run it from the repository root with
``make run APP=examples/forms/guestbook.py`` (``RUNTIME=cpython`` for
CPython), then open http://127.0.0.1:5000/, or post from a terminal::

    curl -i -d name=Ada -d message=Hello http://127.0.0.1:5000/sign
"""
import os

from microdot import Microdot, Response, redirect

app = Microdot()
Response.default_content_type = 'text/html'

MAX_ENTRIES = 20        # oldest entries go first: memory is scarce
MAX_NAME = 40
MAX_MESSAGE = 280
entries = []            # (name, message), newest first

PAGE = '''<!doctype html>
<html>
<head><meta charset="utf-8"><title>Guestbook</title>
<style>
body{{font:16px/1.5 system-ui,sans-serif;max-width:640px;margin:32px auto;
padding:0 16px;color:#1d2330}}
form{{display:grid;gap:12px;margin-bottom:24px}}
label{{display:grid;gap:4px}}
input,textarea{{font:inherit;padding:6px}}
button{{justify-self:start;font:inherit;padding:6px 18px}}
.error{{color:#b00020}}
li{{margin:8px 0}}
</style></head>
<body>
<h1>Guestbook</h1>
<form method="POST" action="/sign">
<label>Name <input name="name" maxlength="{max_name}" value="{name}"></label>
<label>Message <textarea name="message" rows="3"
maxlength="{max_message}">{message}</textarea></label>
<button type="submit">Sign</button>
</form>
<p class="error" id="error">{error}</p>
<ul id="entries">{entries}</ul>
</body>
</html>'''


def escape(text):
    """Text made safe to put inside HTML (a form is untrusted input)."""
    return text.replace('&', '&amp;').replace('<', '&lt;').replace(
        '>', '&gt;').replace('"', '&quot;').replace("'", '&#39;')


def page(error='', name='', message='', status=200):
    items = ''.join('<li><b>{}</b>: {}</li>'.format(escape(n), escape(m))
                    for n, m in entries) or '<li>No entries yet.</li>'
    return PAGE.format(max_name=MAX_NAME, max_message=MAX_MESSAGE,
                       name=escape(name), message=escape(message),
                       error=escape(error), entries=items), status


@app.get('/')
async def index(request):
    return page()


@app.post('/sign')
async def sign(request):
    form = request.form or {}
    name = form.get('name', '').strip()
    message = form.get('message', '').strip()
    if not name or not message:
        return page('Please give your name and a message.', name, message,
                    400)
    if len(name) > MAX_NAME or len(message) > MAX_MESSAGE:
        return page('That is too long.', name[:MAX_NAME],
                    message[:MAX_MESSAGE], 400)
    entries.insert(0, (name, message))
    del entries[MAX_ENTRIES:]
    return redirect('/')


def port_from_environment(default=5000):
    getenv = getattr(os, 'getenv', None)    # a board has no environment
    value = getenv('HTTP_PORT') if getenv else None
    return int(value) if value else default


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=port_from_environment(), debug=True)
