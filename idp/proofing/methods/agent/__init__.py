"""The agent method: a live video call with a trained proofing agent, who compares the
person's face with their ID by eye and decides (remote attended proofing).

Its adapters (:mod:`.adapters`): the record checks every document goes through (the
method is not available without them), the ICE servers and the longest a call may
last; the queue in PostgreSQL is built for each call on the service's transaction. Its
blueprint carries its templates and scripts, the person's call requests under
``/verify/agent`` (:mod:`.views`) and the agent console under ``/agent``
(:mod:`.console_views`).

The video goes from browser to browser (WebRTC); the provider only passes the
signalling messages that set the call up, by short polling, and stores no picture or
sound of it anywhere.
"""

from __future__ import annotations

from flask import Blueprint

from idp.proofing.methods.agent.adapters import AgentAdapters, DatabaseQueue, build_adapters
from idp.proofing.methods.agent.console_views import bp as console_bp
from idp.proofing.methods.agent.method import DECLARATION, AgentMethod, AgentPorts, describe
from idp.proofing.methods.agent.views import bp as person_bp
from idp.proofing.registry import MethodPlugin, Unit

bp = Blueprint(
    "proofing_agent",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/agent-video/static",
)
bp.register_blueprint(person_bp)
bp.register_blueprint(console_bp)


def build(adapters: AgentAdapters, unit: Unit) -> AgentMethod:
    return AgentMethod(AgentPorts(DatabaseQueue(unit), adapters.sources))


PLUGIN = MethodPlugin(
    declaration=DECLARATION,
    adapters=build_adapters,
    build=build,
    describe=describe,
    blueprint=bp,
)
