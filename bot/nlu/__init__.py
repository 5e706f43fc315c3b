"""Natural-language understanding: Rasa-format training data in, intents and entities out."""
