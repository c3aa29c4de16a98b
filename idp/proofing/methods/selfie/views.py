"""The selfie method's blueprint: its templates (its pages are the generic step pages;
the camera's script is ``static/selfie.js``)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("proofing_selfie", __name__, template_folder="templates")
