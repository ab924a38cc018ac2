# The inventory `make up` uses: this machine, through pyinfra's @local connector.
hosts = ["@local"]
