"""Join a Wi-Fi network before serving; does nothing where there is no Wi-Fi.

On a board, put a ``wifi.json`` next to your app::

    {"ssid": "my-network", "password": "secret"}

(optional keys: ``"hostname"``, ``"timeout"`` in seconds per try, default
15, and ``"retries"``, default 3), then::

    from microdot.wifi import connect
    connect()                       # prints its progress, returns the IP
    app.run(port=80)

On the unix port and on CPython, which have no ``network.WLAN``, connect()
prints a note and returns None: the machine's own network is used. On a
board with no network at all (a Pico without W) it raises an ImportError
that says so. Keep
the password out of your repository: wifi.json lives on the board only.
"""

SETTINGS = 'wifi.json'
_DEFAULTS = {'password': '', 'hostname': None, 'timeout': 15, 'retries': 3}


def read_settings(path=SETTINGS):
    """The settings in the JSON file at `path`, defaults filled in.

    Returns None if there is no such file; raises ValueError if the file is
    not a JSON object with a non-empty string "ssid".
    """
    import json
    try:
        f = open(path)
    except OSError:
        return None
    try:
        try:
            data = json.load(f)
        except ValueError:
            raise ValueError('wifi: {} is not valid JSON'.format(path))
    finally:
        f.close()
    if not isinstance(data, dict):
        raise ValueError('wifi: {} must hold a JSON object'.format(path))
    ssid = data.get('ssid')
    if not isinstance(ssid, str) or not ssid:
        raise ValueError(
            'wifi: {} needs "ssid": "<network name>"'.format(path))
    settings = dict(_DEFAULTS)
    settings.update(data)
    if not isinstance(settings['password'], str):
        raise ValueError(
            'wifi: "password" in {} must be a string'.format(path))
    for key in ('timeout', 'retries'):
        value = settings[key]
        if not isinstance(value, (int, float)) or value <= 0:
            raise ValueError('wifi: "{}" in {} must be a positive number'
                             .format(key, path))
    return settings


def _wlan_class():
    try:
        import network
        return network, network.WLAN
    except (ImportError, AttributeError):
        return None, None


def _status_text(network, status):
    for name, text in (('STAT_WRONG_PASSWORD', 'wrong password'),
                       ('STAT_NO_AP_FOUND', 'network not found'),
                       ('STAT_CONNECT_FAIL', 'connection failed')):
        if status == getattr(network, name, None):
            return text
    return 'status {}'.format(status)


def connect(ssid=None, password=None, settings=SETTINGS, timeout=None,
            retries=None, hostname=None):
    """Join `ssid` (or the network of the settings file) and return the IP.

    Each try waits up to `timeout` seconds; a wrong password is not retried.
    Raises OSError if the network cannot be joined. Returns None, after
    printing a note, where there is no Wi-Fi (unix port, CPython).
    """
    network, WLAN = _wlan_class()
    if WLAN is None:
        from .compat import socket_module
        socket_module()     # no network at all: an error that says so
        print('wifi: no Wi-Fi on this port: using the host network')
        return None
    conf = dict(_DEFAULTS)
    if ssid is None:
        found = read_settings(settings)
        if found is None:
            raise OSError('wifi: no {} on the board: create it with '
                          '{{"ssid": "...", "password": "..."}}'.format(
                              settings))
        conf = found
    else:
        conf['ssid'] = ssid
    for key, value in (('password', password), ('timeout', timeout),
                       ('retries', retries), ('hostname', hostname)):
        if value is not None:
            conf[key] = value
    import time
    if conf['hostname']:
        network.hostname(conf['hostname'])
    wlan = WLAN(network.STA_IF)
    wlan.active(True)
    if wlan.isconnected() and wlan.config('ssid') == conf['ssid']:
        ip = wlan.ifconfig()[0]
        print('wifi: already connected to {!r}, IP {}'.format(
            conf['ssid'], ip))
        return ip
    final = [getattr(network, name) for name in
             ('STAT_WRONG_PASSWORD', 'STAT_NO_AP_FOUND', 'STAT_CONNECT_FAIL')
             if hasattr(network, name)]
    reason = 'timed out'
    for attempt in range(1, int(conf['retries']) + 1):
        print('wifi: connecting to {!r} (try {} of {})'.format(
            conf['ssid'], attempt, conf['retries']))
        wlan.connect(conf['ssid'], conf['password'])
        deadline = time.ticks_add(time.ticks_ms(), int(conf['timeout'] * 1000))
        status = None
        while time.ticks_diff(deadline, time.ticks_ms()) > 0:
            if wlan.isconnected():
                ip = wlan.ifconfig()[0]
                print('wifi: connected to {!r}, IP {}'.format(conf['ssid'],
                                                              ip))
                return ip
            status = wlan.status()
            if status in final:
                break
            time.sleep_ms(200)
        reason = _status_text(network, status) if status in final \
            else 'timed out'
        print('wifi: try {} failed: {}'.format(attempt, reason))
        wlan.disconnect()
        if reason == 'wrong password':
            break
    raise OSError('wifi: could not join {!r}: {}'.format(
        conf['ssid'], reason))
