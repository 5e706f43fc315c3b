"""Who the customer is, how strongly they are authenticated, and step-up one-time codes."""
