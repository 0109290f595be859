"""Routing: chains, candidates and eligibility, the attempt loop with retries and rate limits, the routed
stream, cool-downs. The call path (:mod:`modelplex._call`) hands it every call that needs routing."""
