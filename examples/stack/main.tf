# A complete Lookout for Vision stack: a project, its train and test datasets, and a hosted
# model. The provider reads its endpoint and credentials from the environment
# (AWS_ENDPOINT_URL_LOOKOUTVISION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), so the same
# configuration runs against the emulator or a real endpoint.
terraform {
  required_providers {
    lookoutvision = {
      source = "registry.terraform.io/lookoutvision/lookoutvision"
    }
  }
}

provider "lookoutvision" {
  region = "us-east-1"

  default_tags {
    tags = {
      managed-by = "terraform"
    }
  }
}

resource "lookoutvision_project" "boards" {
  name = "circuit-boards"
}

resource "lookoutvision_dataset" "train" {
  project_name = lookoutvision_project.boards.name
  dataset_type = "train"

  source {
    bucket = "circuit-board-images"
    key    = "manifests/train.manifest"
  }
}

resource "lookoutvision_dataset" "test" {
  project_name = lookoutvision_project.boards.name
  dataset_type = "test"

  source {
    bucket = "circuit-board-images"
    key    = "manifests/test.manifest"
  }
}

resource "lookoutvision_model" "v1" {
  project_name = lookoutvision_project.boards.name
  description  = "solder-defects"

  output_config {
    bucket = "circuit-board-models"
    prefix = "output/"
  }

  min_inference_units = 1

  tags = {
    team = "quality"
  }

  depends_on = [lookoutvision_dataset.train, lookoutvision_dataset.test]
}

output "model" {
  value = {
    arn         = lookoutvision_model.v1.arn
    status      = lookoutvision_model.v1.status
    performance = lookoutvision_model.v1.performance
    tags_all    = lookoutvision_model.v1.tags_all
  }
}

output "train_images" {
  value = lookoutvision_dataset.train.image_stats
}
