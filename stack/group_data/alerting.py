"""Group data of `alerting` in a fleet inventory: Alertmanager (two or more hosts form one gossip
cluster: an alert every replica receives is notified once) and the console/file receiver it delivers to."""
vibes_components = ["alertmanager", "alert-receiver"]
