"""One module per channel; each turns its wire format into InboundMessage and back."""
