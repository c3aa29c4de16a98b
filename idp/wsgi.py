"""The WSGI application for servers: ``idp.wsgi:application``.

``idp serve`` runs it under uWSGI; any other WSGI server can load it the same way.
Settings come from the environment and ``config/`` as for every ``idp`` command.
Each worker process closes its database pool as it exits.
"""

from idp import create_app
from idp.serving import DrainUnreadBody, close_at_worker_exit

app = create_app()
close_at_worker_exit(app.extensions["idp.db"].close)
application = DrainUnreadBody(app)
