"""Payments: the payment-provider port, the sandbox processor, webhooks, captures and refunds."""
