"""Start-up shared by the reference apps.

Every app in this directory ends with ``serve(app)``: it listens on
127.0.0.1:$PORT (default 5000) with Werkzeug's development server, no debug
mode and no reloader, and keeps stdout quiet (no banner, no request log).
Unhandled errors (HTTP 500) still print their traceback on stderr.
"""

import logging
import os

import flask.cli


def serve(app):
    port = int(os.environ.get("PORT", "5000"))
    # Flask prints " * Serving Flask app ..." on stdout; Werkzeug logs the
    # address and every request at INFO level on stderr.  Silence both.
    flask.cli.show_server_banner = lambda *args, **kwargs: None
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app.run(host="127.0.0.1", port=port, debug=False, use_reloader=False)
