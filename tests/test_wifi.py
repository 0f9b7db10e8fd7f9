"""microdot.wifi: settings-file parsing, and no-op where there is no Wi-Fi.

Runs on CPython and on the MicroPython unix port, neither of which has
network.WLAN; joining a real network needs a board.
"""
import os

from support import raises, skip

from microdot import wifi

SETTINGS = '_test_wifi_settings.json'


def has_wlan():
    try:
        import network
        return hasattr(network, 'WLAN')
    except ImportError:
        return False


def has_socket():
    try:
        import socket  # noqa: F401
        return True
    except ImportError:
        return False


def skip_without_a_network():
    if not has_socket():
        skip('no network at all on this board: connect() raises (see '
             'test_connect_without_any_network_says_so)')


def with_settings(text, check):
    """Write `text` to the settings file, call check(path), remove it."""
    with open(SETTINGS, 'w') as f:
        f.write(text)
    try:
        return check(SETTINGS)
    finally:
        os.remove(SETTINGS)


def test_connect_without_wlan_returns_none():
    if has_wlan():
        skip('this port has network.WLAN: connect() would really join')
    skip_without_a_network()
    assert wifi.connect() is None


def test_connect_without_wlan_ignores_the_settings_file():
    if has_wlan():
        skip('this port has network.WLAN: connect() would really join')
    skip_without_a_network()
    text = '{"ssid": "lab", "password": "secret"}'
    assert with_settings(text, lambda p: wifi.connect(settings=p)) is None
    assert wifi.connect(settings='no-such-file.json') is None
    assert wifi.connect('lab', 'secret', timeout=1, retries=1) is None


def test_read_settings_missing_file_returns_none():
    assert wifi.read_settings('no-such-file.json') is None


def test_read_settings_fills_in_defaults():
    settings = with_settings('{"ssid": "lab"}', wifi.read_settings)
    assert settings == {'ssid': 'lab', 'password': '', 'hostname': None,
                        'timeout': 15, 'retries': 3}


def test_read_settings_keeps_given_values():
    text = ('{"ssid": "lab", "password": "pw", "hostname": "kitchen", '
            '"timeout": 2.5, "retries": 5}')
    settings = with_settings(text, wifi.read_settings)
    assert settings == {'ssid': 'lab', 'password': 'pw',
                        'hostname': 'kitchen', 'timeout': 2.5, 'retries': 5}


def test_read_settings_default_path_is_wifi_json():
    assert wifi.SETTINGS == 'wifi.json'


def expect_error(text, *words):
    def check(path):
        with raises(ValueError) as caught:
            wifi.read_settings(path)
        return str(caught.value)
    message = with_settings(text, check)
    assert SETTINGS in message, message
    for word in words:
        assert word in message, message


def test_read_settings_rejects_invalid_json():
    expect_error('{"ssid": "lab",', 'JSON')


def test_read_settings_rejects_a_non_object():
    expect_error('["lab", "pw"]', 'object')


def test_read_settings_needs_a_non_empty_string_ssid():
    expect_error('{"password": "pw"}', '"ssid"')
    expect_error('{"ssid": ""}', '"ssid"')
    expect_error('{"ssid": 42}', '"ssid"')


def test_read_settings_rejects_a_non_string_password():
    expect_error('{"ssid": "lab", "password": 1234}', '"password"')


def test_read_settings_rejects_bad_timeout_and_retries():
    expect_error('{"ssid": "lab", "timeout": 0}', '"timeout"')
    expect_error('{"ssid": "lab", "timeout": "10"}', '"timeout"')
    expect_error('{"ssid": "lab", "retries": -1}', '"retries"')


def test_connect_without_any_network_says_so():
    # a Pico without W: no network module, no socket module. It used to
    # print "using the host network", and the app died later on a bare
    # "no module named 'socket'".
    if has_socket():
        skip('this port has a socket module (the no-network case is a '
             'board such as the Pico, tested there)')
    with raises(ImportError) as caught:
        wifi.connect()
    assert 'has no network' in str(caught.value)
    assert 'Pico W' in str(caught.value)


def test_serving_without_any_network_says_so():
    if has_socket():
        skip('this port has a socket module (the no-network case is a '
             'board such as the Pico, tested there)')
    from microdot import Microdot
    with raises(ImportError) as caught:
        Microdot().run(host='127.0.0.1', port=5000)
    assert 'has no network' in str(caught.value)
    assert 'no module named' not in str(caught.value)
