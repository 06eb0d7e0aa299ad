# A complete Lookout for Vision stack. The provider reads its endpoint and credentials from
# the environment (AWS_ENDPOINT_URL_LOOKOUTVISION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY),
# so the same configuration runs against the emulator or a real endpoint.
terraform {
  required_providers {
    lookoutvision = {
      source = "registry.terraform.io/lookoutvision/lookoutvision"
    }
  }
}

provider "lookoutvision" {
  region = "us-east-1"
}

resource "lookoutvision_project" "boards" {
  name = "circuit-boards"
}

output "project_arn" {
  value = lookoutvision_project.boards.arn
}
