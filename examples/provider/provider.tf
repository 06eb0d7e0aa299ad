terraform {
  required_providers {
    lookoutvision = {
      # Always the full address, so Terraform and OpenTofu resolve the same provider.
      source = "registry.terraform.io/lookoutvision/lookoutvision"
    }
  }
}

# Against the emulator: any static credentials work.
provider "lookoutvision" {
  region     = "us-east-1"
  access_key = "emulator"
  secret_key = "emulator"

  endpoints {
    lookoutvision = "http://127.0.0.1:5566"
  }
}
