"""tools/fetch_deps.py against a package index on 127.0.0.1 that answers as
PyPI's mirror here does: no JSON document for the release itself, one for
the project, whose file addresses are relative to it.

The sdist it serves is made by the test from deps/utemplate's files (the
script only checks the published sha256 and takes the package folder)."""

import hashlib
import http.server
import io
import json
import os
import subprocess
import sys
import tarfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FETCH = os.path.join(ROOT, 'tools', 'fetch_deps.py')
VERSION = '1.4.1'


def small_sdist():
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode='w:gz') as tar:
        source = os.path.join(ROOT, 'deps', 'utemplate')
        for name in sorted(os.listdir(source)):
            if name.endswith('.py'):
                tar.add(os.path.join(source, name), 'utemplate-{}/utemplate/{}'
                        .format(VERSION, name))
    return out.getvalue()


class Index:
    """/simple/ and /pypi/ on 127.0.0.1; ``files`` maps paths to bytes."""

    def __init__(self, files):
        self.requests = []
        index = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                index.requests.append(self.path)
                body = files.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header('Content-Length', str(len(body or b'')))
                self.end_headers()
                self.wfile.write(body or b'')

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(('127.0.0.1', 0), Handler)
        self.url = 'http://127.0.0.1:{}/simple/'.format(
            self.server.server_port)
        self.thread = threading.Thread(target=self.server.serve_forever)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def fetch(index, dest):
    return subprocess.run(
        [sys.executable, FETCH, '--dest', str(dest), '--force', '--index',
         index.url], capture_output=True, text=True, timeout=120)


def project_document(sdist):
    return json.dumps({'releases': {VERSION: [{
        'filename': 'utemplate-{}.tar.gz'.format(VERSION),
        'url': '../../packages/utemplate-{}.tar.gz'.format(VERSION),
        'digests': {'sha256': hashlib.sha256(sdist).hexdigest()}}]}}).encode()


def test_a_miss_before_the_hit_is_not_reported(tmp_path):
    sdist = small_sdist()
    files = {'/pypi/utemplate/json': project_document(sdist),
             '/packages/utemplate-{}.tar.gz'.format(VERSION): sdist}
    with Index(files) as index:
        result = fetch(index, tmp_path / 'deps')
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # the release's own document was asked for first, and was missing
    assert index.requests[0] == '/pypi/utemplate/{}/json'.format(VERSION)
    assert '404' not in output and 'Error' not in output, output
    assert 'installed utemplate {}'.format(VERSION) in output
    assert os.path.exists(str(tmp_path / 'deps' / 'utemplate' /
                              'source.py'))


def test_when_nothing_is_found_every_miss_is_reported(tmp_path):
    with Index({}) as index:
        result = fetch(index, tmp_path / 'deps')
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert 'error: could not fetch utemplate {}'.format(VERSION) in output
    assert '/pypi/utemplate/{}/json: HTTP Error 404'.format(VERSION) in \
        output
    assert '/simple/utemplate/: HTTP Error 404' in output
