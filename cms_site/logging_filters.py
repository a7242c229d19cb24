"""Keep secrets out of the development server's request log.

``runserver`` logs every request line, query string included; the TikTok callback's query
carries the authorization code. This filter cuts the query string from those lines.
"""

import logging
import re

_QUERY = re.compile(r"\?[^ \"]*")


class RedactQueryStrings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                _QUERY.sub("?[redacted]", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        record.msg = _QUERY.sub("?[redacted]", str(record.msg))
        return True
