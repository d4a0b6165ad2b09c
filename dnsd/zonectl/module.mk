# dnsd/zonectl/: the operator CLI; its logic lives in shared/.
ZONECTL_SRCS := $(wildcard dnsd/zonectl/*.c)
ZONECTL_OBJS := $(ZONECTL_SRCS:%.c=$(OBJ)/%.o)
ZONECTL      := $(BUILD)/zonectl

$(ZONECTL): $(ZONECTL_OBJS) $(LIBSHARED)
	$(call link)

ALL_BINS += $(ZONECTL)
