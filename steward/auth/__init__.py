"""Sign-in, roles and API tokens: who someone is and what they may do."""
