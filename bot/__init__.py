"""The Slack bot: `/contact` lookups, notes from chat, survey opt-out and SMS, and the screen pop."""
