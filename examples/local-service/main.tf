# A model trained on real images by the emulator's local service (run.sh starts it with
# --s3-dir, so "s3://factory-line/..." is a directory on this machine). The same
# configuration would run against any Lookout for Vision endpoint holding the same bucket.
terraform {
  required_providers {
    lookoutvision = {
      source = "registry.terraform.io/lookoutvision/lookoutvision"
    }
  }
}

variable "bucket" {
  description = "The bucket holding the images, the manifests and the model's output."
  type        = string
  default     = "factory-line"
}

provider "lookoutvision" {
  region = "us-east-1"
}

resource "lookoutvision_project" "brackets" {
  name = "brackets"
}

resource "lookoutvision_dataset" "train" {
  project_name = lookoutvision_project.brackets.name
  dataset_type = "train"

  source {
    bucket = var.bucket
    key    = "parts/train/train.manifest"
  }
}

resource "lookoutvision_dataset" "test" {
  project_name = lookoutvision_project.brackets.name
  dataset_type = "test"

  source {
    bucket = var.bucket
    key    = "parts/test/test.manifest"
  }
}

resource "lookoutvision_model" "v1" {
  project_name = lookoutvision_project.brackets.name
  description  = "brackets-v1"

  output_config {
    bucket = var.bucket
    prefix = "model-output/"
  }

  # Hosted, so that DetectAnomalies can be called as soon as apply returns.
  min_inference_units = 1

  depends_on = [lookoutvision_dataset.train, lookoutvision_dataset.test]
}

output "model_version" {
  value = lookoutvision_model.v1.model_version
}

output "performance" {
  value = lookoutvision_model.v1.performance
}

output "evaluation_result" {
  value = lookoutvision_model.v1.evaluation_result
}
