"""What is known about models (limits, capabilities, tier, prices, privacy) and what a call costs.

``records`` holds the types and imports nothing heavy; the bundled data and the engines that use it load
on first use, never at ``import modelplex``.
"""
