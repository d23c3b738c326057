"""Tests of the admin panel: over HTTP through the app, and in headless Chromium."""
