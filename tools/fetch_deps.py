#!/usr/bin/env python3
"""Fetch the third-party MicroPython packages our extensions use into deps/.

Some of them are plain sdists without a setup.py, which pip cannot install,
so this script downloads the pinned release itself (stdlib only, CPython):

1. for each package index pip is configured with (PIP_INDEX_URL,
   PIP_EXTRA_INDEX_URL, `pip config list`; PyPI when none is set), ask its
   JSON API (/pypi/<name>/<version>/json, then /pypi/<name>/json) for the
   release's files, falling back to the index's simple page (PEP 503);
2. take the sdist, verify the sha256 the index publishes (a file without a
   published sha256 is refused);
3. extract only the package directory into deps/<package>/.

Run again, it does nothing while deps/ already holds the pinned versions.

    python3 tools/fetch_deps.py [--dest deps] [--force] [--index URL ...]

(--index: ask only these simple-index URLs, not pip's nor PyPI.)
"""

import argparse
import hashlib
import html.parser
import io
import json
import os
import shutil
import ssl
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile

# name -> (pinned version, top-level directories to take from the sdist)
DEPS = {
    'utemplate': ('1.4.1', ['utemplate']),
}

PYPI_SIMPLE = 'https://pypi.org/simple/'
TIMEOUT = 30


class FetchError(Exception):
    pass


def log(message):
    print('fetch_deps: ' + message, flush=True)


# -- where to look -----------------------------------------------------------

def pip_config():
    """Return pip's effective settings as {'index-url': ..., ...}."""
    settings = {}
    try:
        out = subprocess.run(
            [sys.executable, '-m', 'pip', 'config', 'list'],
            capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        out = ''
    for line in out.splitlines():
        key, sep, value = line.partition('=')
        if not sep:
            continue
        key = key.rsplit('.', 1)[-1]  # 'global.index-url' -> 'index-url'
        settings[key] = value.strip().strip('\'"')
    # The environment wins over the files, as it does for pip.
    for key in ('index-url', 'extra-index-url', 'cert'):
        env = os.environ.get('PIP_' + key.upper().replace('-', '_'))
        if env:
            settings[key] = env
    return settings


def index_urls(settings):
    if settings.get('only-index-urls'):
        return [url.rstrip('/') + '/' for url in settings['only-index-urls']]
    urls = [settings.get('index-url') or PYPI_SIMPLE]
    urls += settings.get('extra-index-url', '').split()
    if PYPI_SIMPLE not in urls:
        urls.append(PYPI_SIMPLE)
    seen = []
    for url in urls:
        url = url.rstrip('/') + '/'
        if url not in seen:
            seen.append(url)
    return seen


def ssl_context(settings):
    cafile = os.environ.get('SSL_CERT_FILE') or settings.get('cert')
    if cafile and os.path.exists(cafile):
        return ssl.create_default_context(cafile=cafile)
    return ssl.create_default_context()


# -- talking to an index -------------------------------------------------------

def get(url, context, accept=None):
    request = urllib.request.Request(url, headers={
        'User-Agent': 'fetch_deps (microdot-firmware-bundle)',
        **({'Accept': accept} if accept else {})})
    with urllib.request.urlopen(request, timeout=TIMEOUT,
                                context=context) as response:
        return response.read()


def json_api_files(index, name, version, context, problems):
    """Files of a release from the JSON API next to a .../simple/ index;
    what went wrong on the way goes to ``problems``, reported only if no
    index has the release (a miss before a hit is not news)."""
    if not index.startswith(('http://', 'https://')):
        return None
    base = index.rstrip('/')
    if not base.endswith('/simple'):
        return None
    base = base[:-len('/simple')]
    for url in ('{}/pypi/{}/{}/json'.format(base, name, version),
                '{}/pypi/{}/json'.format(base, name)):
        try:
            data = json.loads(get(url, context))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            problems.append('{}: {}'.format(url, exc))
            continue
        if 'releases' in data and version in data['releases']:
            files = data['releases'][version]
        elif data.get('info', {}).get('version') == version:
            files = data.get('urls', [])
        else:
            problems.append('{}: no release {}'.format(url, version))
            continue
        # a mirror may give the file addresses relative to the API's
        return [(f['filename'], urllib.parse.urljoin(url, f['url']),
                 f.get('digests', {}).get('sha256')) for f in files]
    return None


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        if tag == 'a':
            href = dict(attrs).get('href')
            if href:
                self.links.append(href)


def simple_index_files(index, name, version, context, problems):
    """Files of a release listed on a PEP 503 simple page."""
    page = urllib.parse.urljoin(index, name + '/')
    try:
        body = get(page, context, accept='text/html')
    except (urllib.error.URLError, OSError) as exc:
        if index.startswith('file:'):
            # A local mirror may store the page as <name>/index.html.
            page += 'index.html'
            try:
                body = get(page, context)
            except (urllib.error.URLError, OSError) as exc2:
                problems.append('{}: {}'.format(page, exc2))
                return None
        else:
            problems.append('{}: {}'.format(page, exc))
            return None
    parser = _Links()
    parser.feed(body.decode('utf-8', 'replace'))
    files = []
    for href in parser.links:
        url, _, fragment = urllib.parse.urljoin(page, href).partition('#')
        filename = urllib.parse.unquote(url.rsplit('/', 1)[-1])
        sha256 = None
        if fragment.startswith('sha256='):
            sha256 = fragment[len('sha256='):]
        files.append((filename, url, sha256))
    return files


def pick_sdist(files, name, version):
    for suffix in ('.tar.gz', '.zip'):
        wanted = '{}-{}{}'.format(name, version, suffix).lower()
        for filename, url, sha256 in files:
            if filename.lower() == wanted:
                return filename, url, sha256
    return None


def download_release(name, version, settings):
    """Return (filename, bytes) of the verified sdist."""
    context = ssl_context(settings)
    problems = []
    for index in index_urls(settings):
        for lookup in (json_api_files, simple_index_files):
            log('looking up {} {} via {} ({})'.format(
                name, version, index, lookup.__name__))
            files = lookup(index, name, version, context, problems)
            if files is None:
                continue
            found = pick_sdist(files, name, version)
            if found is None:
                problems.append('{}: no sdist of {} {}'.format(
                    index, name, version))
                continue
            filename, url, sha256 = found
            if not sha256:
                problems.append('{}: {} has no published sha256'.format(
                    index, filename))
                continue
            try:
                data = get(url, context)
            except (urllib.error.URLError, OSError) as exc:
                problems.append('{}: {}'.format(url, exc))
                continue
            digest = hashlib.sha256(data).hexdigest()
            if digest != sha256.lower():
                raise FetchError('{}: sha256 {} does not match the published '
                                 '{}'.format(url, digest, sha256))
            log('downloaded {} ({} bytes, sha256 {} verified)'.format(
                filename, len(data), digest))
            return filename, data
    raise FetchError('could not fetch {} {}:\n  {}'.format(
        name, version, '\n  '.join(problems) or 'no index answered'))


# -- unpacking -----------------------------------------------------------------

def archive_members(filename, data):
    """Yield (path inside the sdist, file bytes) for regular files."""
    if filename.endswith('.zip'):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if not info.is_dir():
                    yield info.filename, archive.read(info)
        return
    with tarfile.open(fileobj=io.BytesIO(data), mode='r:*') as archive:
        for member in archive:
            if member.isfile():
                yield member.name, archive.extractfile(member).read()


def extract_packages(filename, data, packages, dest):
    """Write the files of `packages` (top-level dirs of the sdist) to dest."""
    written = []
    for path, content in archive_members(filename, data):
        parts = path.split('/')[1:]  # drop "<name>-<version>/"
        if len(parts) < 2 or parts[0] not in packages:
            continue
        if any(part in ('', '.', '..') for part in parts):
            raise FetchError('unsafe path in {}: {}'.format(filename, path))
        target = os.path.join(dest, *parts)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, 'wb') as f:
            f.write(content)
        written.append('/'.join(parts))
    for package in packages:
        if not any(w.startswith(package + '/') for w in written):
            raise FetchError('{} has no {}/ directory'.format(filename, package))
    return written


def marker_path(dest, name):
    return os.path.join(dest, '.installed', name)


def install(name, version, packages, dest, settings, force=False):
    marker = marker_path(dest, name)
    present = all(os.path.isdir(os.path.join(dest, p)) for p in packages)
    if not force and present and os.path.exists(marker):
        with open(marker) as f:
            if f.read().split()[:1] == [version]:
                log('{} {} already in {}/'.format(name, version, dest))
                return
    filename, data = download_release(name, version, settings)
    os.makedirs(dest, exist_ok=True)
    staging = tempfile.mkdtemp(prefix='.fetch-', dir=dest)
    try:
        written = extract_packages(filename, data, packages, staging)
        for package in packages:
            target = os.path.join(dest, package)
            if os.path.exists(target):
                shutil.rmtree(target)
            os.rename(os.path.join(staging, package), target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(os.path.dirname(marker), exist_ok=True)
    with open(marker, 'w') as f:
        f.write('{} {}\n'.format(version, hashlib.sha256(data).hexdigest()))
    for path in written:
        log('  {}/{}'.format(dest, path))
    log('installed {} {} into {}/'.format(name, version, dest))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--dest', default='deps')
    parser.add_argument('--force', action='store_true',
                        help='download again even if present')
    parser.add_argument('--index', action='append',
                        help="ask only this index (pip's and PyPI else)")
    args = parser.parse_args(argv)
    settings = pip_config()
    if args.index:
        settings['only-index-urls'] = args.index
    try:
        for name, (version, packages) in DEPS.items():
            install(name, version, packages, args.dest, settings, args.force)
    except FetchError as exc:
        log('error: {}'.format(exc))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
