"""`python -m core rescore-feedback`: score stored feedback and survey comments again with today's scorers."""

import json
import sys

from core.db import init_db, make_engine
from core.feedback.rescore import rescore_texts


def rescore_feedback(args) -> int:
    """Re-detect and re-score stored texts (all, or those stored in one language); print what changed."""
    engine = make_engine()
    init_db(engine)
    result = rescore_texts(engine, language=args.language, batch_rows=args.batch,
                           progress=lambda message: print(message, file=sys.stderr))
    print(json.dumps(result.public()) if args.format == "json" else result.describe())
    return 0
