"""The governance policy: ``[policy]`` in the config file (or a file of its own), rules in order, the
first that matches a request and a candidate model decides whether that model may serve it.

::

    [policy]
    dry_run = false            # true: record what would have been denied, deny nothing
    default = "allow"          # what a candidate no rule matches gets ("allow" or "deny")
    # file = "policy.toml"     # the rules in a file of their own (its path relative to this file),
                               # holding dry_run, default and [[rules]] at its top level

    [[policy.rules]]
    name = "pii stays here"
    match = { tags = ["pii"] }         # tags (a name, or name=glob), agent, caller, model: globs;
                                       # every key given must hold; no match table: every request
    privacy = "local"                  # models on this machine only

    [[policy.rules]]
    name = "production"
    match = { tags = ["env=prod"] }
    models = ["openai/gpt-4o*", "anthropic/*"]   # allowed models (globs on provider/model)
    deny_models = ["*preview*"]
    providers = ["openai", "anthropic"]          # allowed providers (configured names); deny_providers
    tiers = ["fast", "standard"]                 # the catalog's tier
    capabilities = ["tools"]                     # each known to be supported
    retention = ["*not used for training*"]      # a remote model's retention note must match one
    max_cost = "0.05"                            # dollars: the request's worst case for the model
    require_tags = ["team"]                      # the request must carry each tag

    [[policy.rules]]
    name = "no one else"
    deny = true                                  # (or allow = true)

A rule that matches decides alone: the candidate is allowed if it meets every constraint the rule
states, denied (with each failed constraint named) otherwise; ``deny = true`` denies outright. What is
not known of a model fails a constraint on it (a tier, a capability, its retention, a price for
``max_cost``): nothing is exempt for want of data. A model is local only where the catalog, its
listing or the user's ``[models."p/m"] local = true`` says so (a loopback address may be a proxy to a
cloud). The agent is the call's ``agent`` tag (``client.chat(agent=...)`` sets it).

The policy acts per candidate inside routing (:func:`modelplex.hookspecs.modelplex_before_attempt`):
a chain skips a denied model, the rule in its trace, and never falls back into it; a call with nothing
allowed fails with :class:`~modelplex.errors.PolicyDenied` naming the rule and where it is written.
Each decision goes into ``call.decisions`` (:class:`~modelplex.Decision`) for the usage log.
"""
