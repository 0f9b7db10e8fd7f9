"""Setting and deleting cookies: ``Response.set_cookie()`` and
``delete_cookie()``. Loaded by the first response that sets a cookie."""


def set_cookie(res, cookie, value, path, domain, expires, max_age, secure,
               http_only, partitioned):
    """Add to ``res`` a Set-Cookie header field (a list of them)."""
    field = set_cookie_value(cookie, value, path, domain, expires, max_age,
                             secure, http_only, partitioned)
    headers = res.headers
    cookies = headers.get('Set-Cookie')
    if cookies is None:
        headers['Set-Cookie'] = [field]
    elif isinstance(cookies, list):
        cookies.append(field)
    else:
        headers['Set-Cookie'] = [cookies, field]


def delete_cookie(res, cookie, options):
    """Ask the client to forget a cookie: expired, whatever ``options``
    (``set_cookie()``'s keyword arguments) say of its expiry."""
    options.pop('expires', None)
    options.pop('max_age', None)
    res.set_cookie(cookie, '', expires='Thu, 01 Jan 1970 00:00:01 GMT',
                   max_age=0, **options)


def set_cookie_value(cookie, value, path, domain, expires, max_age, secure,
                     http_only, partitioned):
    """The value of a Set-Cookie header field."""
    value = str(value)
    for text in (cookie, value, path or '', domain or ''):
        if '\r' in text or '\n' in text or ';' in text:
            raise ValueError('Invalid character in cookie')
    parts = [cookie + '=' + value]
    if path:
        parts.append('Path=' + path)
    if domain:
        parts.append('Domain=' + domain)
    if expires:
        if not isinstance(expires, str):
            expires = expires.strftime('%a, %d %b %Y %H:%M:%S GMT')
        parts.append('Expires=' + expires)
    if max_age is not None:
        parts.append('Max-Age=' + str(int(max_age)))
    if secure:
        parts.append('Secure')
    if http_only:
        parts.append('HttpOnly')
    if partitioned:
        parts.append('Partitioned')
    return '; '.join(parts)
