"""The Set-Cookie header, built by ``Response.set_cookie()``. Loaded by the
first response that sets a cookie."""


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
