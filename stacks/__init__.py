"""cdktf stacks: one Terraform stack per environment, composed from one construct per concern."""
