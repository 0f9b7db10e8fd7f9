"""CORS over a real socket: example.com may call /api with credentials."""
import os

from microdot import Microdot
from microdot.cors import CORS

app = Microdot()
CORS(app, allowed_origins=['https://example.com'], allow_credentials=True,
     allowed_headers=['Content-Type', 'X-Token'], expose_headers=['X-Total'],
     max_age=600)


@app.route('/api', methods=['GET', 'PUT'])
async def api(request):
    return {'method': request.method}, {'X-Total': '1'}


app.run(host='127.0.0.1', port=int(os.getenv('PORT')))
