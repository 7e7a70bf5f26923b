"""Who works when: queue members, weekly shifts (overnight ones too), their exceptions, and routing
among the members on shift now."""
