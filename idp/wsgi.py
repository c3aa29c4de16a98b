"""The WSGI application for servers: ``idp.wsgi:application``.

``idp serve`` runs it under uWSGI; any other WSGI server can load it the same way.
Settings come from the environment and ``config/`` as for every ``idp`` command.
"""

from idp import create_app
from idp.serving import DrainUnreadBody

application = DrainUnreadBody(create_app())
