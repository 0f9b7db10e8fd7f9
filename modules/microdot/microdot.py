"""Microdot 2's core module: ``from microdot.microdot import Request`` (or
any other public name of the package) finds the name here too."""
import microdot
from .urls import form_encode as urlencode, url_decode as urldecode  # noqa


def __getattr__(name):
    return getattr(microdot, name)
