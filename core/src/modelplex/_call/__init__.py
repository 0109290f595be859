"""The one call path: resolve, validate, admit, attempt, translate, trace, report (see ``pipeline``)."""
