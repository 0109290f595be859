"""Agent profiles, task routes and cost tiers: ``[agents.NAME]`` and ``[routing.tasks]`` in the config file,
``client.chat(..., agent="coder")``, ``client.chat(..., task="summarization")`` and ``modelplex chat
--agent/--task``.

::

    [agents.coder]
    model = "anthropic/claude-sonnet-4-5"   # provider/model, chain/NAME, tier/NAME or an alias
    system = "You are a careful senior engineer."
    temperature = 0.2                        # any ChatOptions field, checked when the file is read
    max_tokens = 4000
    tags = { team = "platform" }             # passed to the call lifecycle (usage log, budgets, policy)
    budget = "engineering"                   # the budget scope its calls count against: tag budget=...

    [agents.triage]
    task = "summarization"                   # instead of a model: the task's route

    [routing.tasks]
    coding = "anthropic/claude-sonnet-4-5"
    reasoning = "chain/flagship"
    summarization = "tier/economy"

Precedence, for each part of a call: what the call names wins over the profile. The address is the
call's ``model``, else the route of the call's ``task``, else the agent's ``model``, else the route of the
agent's ``task``. ``system=`` replaces the agent's system prompt; each chat option the call sets (any
value other than the option's default) replaces the agent's, and ``extra`` tables are merged, the call's
keys winning. The call's ``tags`` win over the tags this module adds (``agent``, ``task``, ``budget``),
which win over the agent's own ``tags`` (so ``agent`` is always the profile's name unless the call says
otherwise). A call naming neither ``agent`` nor ``task`` does not come here.

The tags are what the call lifecycle sees: the usage log's ``agent`` column, a policy's ``agent`` match,
a budget's ``scope = "agent:coder"``, or ``scope = "tag:budget=engineering"`` for the agents that name
that budget. ``budget`` is only that tag: the budget itself is a ``[[budgets]]`` table.

Tasks routed without configuration (:data:`~modelplex._agents.tasks.BUILTIN_TASKS`): ``reasoning`` and
``coding`` to ``tier/premium``, ``summarization`` to ``tier/economy``, ``local`` to ``chain/local``.

Cost tiers (:mod:`modelplex._agents.tiers`) are built-in chains: ``chain/premium``, ``chain/standard`` and
``chain/economy``, written ``tier/NAME`` in the two tables above as well (in a call, ``chain/NAME``).
``modelplex agents`` lists every agent and task with what it resolves to.
"""
