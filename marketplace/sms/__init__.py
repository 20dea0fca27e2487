"""Text messages to producers' phones (SMS, WhatsApp through Twilio), sent from an outbox."""
