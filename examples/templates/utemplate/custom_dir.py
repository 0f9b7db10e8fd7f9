"""utemplate templates loaded from my_templates/ instead of templates/.

Run it from this directory (see hello.py), then open http://127.0.0.1:5000/.
"""
from microdot import Microdot, Response
from microdot.utemplate import Template, init_templates

init_templates('my_templates')
# Template.initialize('my_templates') is the newer spelling of the same call.

app = Microdot()
Response.default_content_type = 'text/html'


@app.get('/')
async def index(req):
    return Template('index.html').render()


if __name__ == '__main__':
    app.run(debug=True)
