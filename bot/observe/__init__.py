"""What Teller tells its operators: Prometheus metrics (`metrics`) and structured logs (`logs`)."""
