"""TikTok Shop Partner API connector for the marketplace addon."""
