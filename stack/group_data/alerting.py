"""Group data of `alerting` in a fleet inventory: Alertmanager and the console/file receiver it
delivers to."""
vibes_components = ["alertmanager", "alert-receiver"]
